/**
 * CPU reference of the SiLU-gated MLP (Llama's LlamaMLP), in float64.
 *
 *   M = tokens, D = model dim (hidden_size), I = intermediate_size
 *   x [M, D], gate [I, D], up [I, D], down [D, I] (HF Linear layouts), y [M, D]
 *   y = down( silu(x · gate^T) ⊙ (x · up^T) )
 */
export function mlpRef(
	x: Float32Array,
	gate: Float32Array,
	up: Float32Array,
	down: Float32Array,
	M: number,
	D: number,
	I: number
): Float32Array {
	const y = new Float32Array(M * D);
	const h = new Float64Array(I);
	for (let m = 0; m < M; m++) {
		for (let i = 0; i < I; i++) {
			let g = 0;
			let u = 0;
			for (let k = 0; k < D; k++) {
				g += x[m * D + k] * gate[i * D + k];
				u += x[m * D + k] * up[i * D + k];
			}
			h[i] = (g / (1 + Math.exp(-g))) * u;
		}
		for (let d = 0; d < D; d++) {
			let s = 0;
			for (let i = 0; i < I; i++) s += h[i] * down[d * I + i];
			y[m * D + d] = s;
		}
	}
	return y;
}
