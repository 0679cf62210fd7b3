/** Tolerance checks for kernel tests: |got - want| <= atol + rtol * |want| elementwise. */

export interface Tolerance {
	atol: number;
	rtol: number;
}

/** Returns a description of the worst violation, or null if all values are close. */
export function closeReport(got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance): string | null {
	if (got.length !== want.length) return `length ${got.length} != ${want.length}`;
	let worst = -1;
	let worstExcess = 0;
	for (let i = 0; i < want.length; i++) {
		const err = Math.abs(got[i] - want[i]);
		const allowed = tol.atol + tol.rtol * Math.abs(want[i]);
		const excess = Number.isNaN(got[i]) !== Number.isNaN(want[i]) ? Infinity : err - allowed;
		if (excess > worstExcess || (Number.isNaN(excess) && !(Number.isNaN(got[i]) && Number.isNaN(want[i])))) {
			worst = i;
			worstExcess = excess;
		}
	}
	if (worst < 0) return null;
	return `index ${worst}: got ${got[worst]}, want ${want[worst]} (atol ${tol.atol}, rtol ${tol.rtol})`;
}

/** Throws with the worst element if `got` is not close to `want`. */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance, what = ''): void {
	const r = closeReport(got, want, tol);
	if (r) throw new Error(`${what} not close: ${r}`);
}

/** Rounds every value through f32 (a reference computed in f64, seen as the GPU would store it). */
export function roundF32(x: ArrayLike<number>): Float32Array {
	return Float32Array.from(x);
}
