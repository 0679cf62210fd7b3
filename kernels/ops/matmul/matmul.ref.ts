/**
 * CPU reference of a linear layer: Y = X · W^T + b.
 *
 *   M = rows of X (tokens), K = input features, N = output features
 *   X [M, K], W [N, K] (HF Linear layout, row-major), b [N] (optional), Y [M, N]
 *
 * Accumulates in float64, so the GPU's f32 sums are compared against the exact result.
 */
export function linearRef(
	x: Float32Array,
	w: Float32Array,
	bias: Float32Array | undefined,
	M: number,
	K: number,
	N: number
): Float32Array {
	const y = new Float32Array(M * N);
	for (let m = 0; m < M; m++) {
		for (let n = 0; n < N; n++) {
			let s = bias ? bias[n] : 0;
			for (let k = 0; k < K; k++) s += x[m * K + k] * w[n * K + k];
			y[m * N + n] = s;
		}
	}
	return y;
}
