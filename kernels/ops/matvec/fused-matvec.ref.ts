/**
 * CPU reference of the fused decode matvec, in float64.
 *
 *   K = inputs, N = weight rows; x [K] (one row), W [N, K], g [K] (optional RMSNorm weight),
 *   b [N] (optional bias)
 *   x' = x / sqrt(mean(x²) + eps) ⊙ g  (with a norm; else x' = x),  y_n = Σ_k W[n, k] x'_k + b_n
 *   store: out[o + n] = y_n;  add: out[o + n] += y_n;
 *   swiglu: rows are (gate, up) pairs: out[o + j] = silu(y_2j) · y_(2j+1), silu(g) = g / (1 + e^-g)
 * `out` is updated in place and returned.
 */
import type { MatvecEpilogue } from './fused-matvec.wgsl.js';

export function fusedMatvecRef(
	x: Float32Array,
	w: Float32Array,
	K: number,
	N: number,
	o: { norm?: { weight: Float32Array; eps: number }; bias?: Float32Array; epilogue?: MatvecEpilogue; out: Float32Array; outOffset?: number }
): Float32Array {
	let inv = 1;
	if (o.norm) {
		let ss = 0;
		for (let k = 0; k < K; k++) ss += x[k] * x[k];
		inv = 1 / Math.sqrt(ss / K + o.norm.eps);
	}
	const y = new Float64Array(N);
	for (let n = 0; n < N; n++) {
		let s = 0;
		for (let k = 0; k < K; k++) s += w[n * K + k] * x[k] * inv * (o.norm ? o.norm.weight[k] : 1);
		y[n] = s + (o.bias ? o.bias[n] : 0);
	}
	const off = o.outOffset ?? 0;
	const ep = o.epilogue ?? 'store';
	if (ep === 'swiglu') {
		for (let j = 0; j < N / 2; j++) {
			const g = y[2 * j];
			o.out[off + j] = (g / (1 + Math.exp(-g))) * y[2 * j + 1];
		}
	} else {
		for (let n = 0; n < N; n++) o.out[off + n] = ep === 'add' ? o.out[off + n] + y[n] : y[n];
	}
	return o.out;
}
