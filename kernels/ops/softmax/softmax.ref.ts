/**
 * CPU reference of a row softmax.
 *
 *   R = rows, C = columns (classes)
 *   x [R, C], y [R, C]:  y[r, c] = exp(x[r, c] - max_c x[r]) / sum_c exp(x[r, c] - max_c x[r])
 */
export function softmaxRef(x: Float32Array, R: number, C: number): Float32Array {
	const y = new Float32Array(R * C);
	for (let r = 0; r < R; r++) {
		let m = -Infinity;
		for (let c = 0; c < C; c++) m = Math.max(m, x[r * C + c]);
		let s = 0;
		for (let c = 0; c < C; c++) s += Math.exp(x[r * C + c] - m);
		for (let c = 0; c < C; c++) y[r * C + c] = Math.exp(x[r * C + c] - m) / s;
	}
	return y;
}
