/**
 * CPU reference of RMSNorm (Llama, HF LlamaRMSNorm).
 *
 *   R = rows (tokens, or tokens·heads for Qwen3's per-head q/k norm), D = normalized dim
 *   x [R, D], w [D], y [R, D]:  y[r, i] = x[r, i] / sqrt(mean_i(x[r, i]²) + eps) · w[i]
 */
export function rmsnormRef(x: Float32Array, w: Float32Array, R: number, D: number, eps: number): Float32Array {
	const y = new Float32Array(R * D);
	for (let r = 0; r < R; r++) {
		let ss = 0;
		for (let i = 0; i < D; i++) ss += x[r * D + i] ** 2;
		const inv = 1 / Math.sqrt(ss / D + eps);
		for (let i = 0; i < D; i++) y[r * D + i] = x[r * D + i] * inv * w[i];
	}
	return y;
}
