/** Test helper: central finite differences in float64 against an analytic gradient. */

/** Step of the central differences. */
export const FD_STEP = 1e-5;

/**
 * Checks d(f)/d(x[i]) for the indices `which` (default: all) of x against `grad`: throws unless
 * |fd − grad| <= rtol·max(|grad|, 1e-3) + 1e-9, fd = (f(x + h) − f(x − h)) / 2h.
 */
export function fdCheck(
	f: (x: Float64Array) => number,
	x: Float64Array,
	grad: ArrayLike<number>,
	what: string,
	o: { which?: readonly number[]; rtol?: number; h?: number } = {}
): void {
	const h = o.h ?? FD_STEP;
	const rtol = o.rtol ?? 1e-6;
	let scale = 1e-3;
	for (let i = 0; i < grad.length; i++) scale = Math.max(scale, Math.abs(grad[i]));
	for (const i of o.which ?? Array.from({ length: x.length }, (_, j) => j)) {
		const xp = Float64Array.from(x);
		const xm = Float64Array.from(x);
		xp[i] += h;
		xm[i] -= h;
		const fd = (f(xp) - f(xm)) / (2 * h);
		if (Math.abs(fd - grad[i]) > rtol * scale + 1e-9) {
			throw new Error(`${what}[${i}]: analytic ${grad[i]}, finite difference ${fd}`);
		}
	}
}
