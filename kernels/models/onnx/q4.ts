/**
 * 4-bit block quantization in the layout of ONNX Runtime's `com.microsoft.MatMulNBits` (bits 4,
 * symmetric: no zero_points input, so the zero point is 8): for a weight W [N, K] (HF Linear,
 * [out, in]), `B` is uint8 [N, K / block, block / 2] with element 2j in the low nibble of byte j
 * and 2j+1 in the high one, and `scales` is float [N, K / block]; w = (q − 8) · scale.
 *
 * Each block's scale is its largest-magnitude value divided by −8 (as GGUF's Q4_0), so that value
 * is exact and the rest round to the nearest of 16 levels.
 */

export interface Q4Weight {
	n: number;
	k: number;
	block: number;
	/** [N, K/block, block/2] packed nibbles. */
	packed: Uint8Array;
	/** [N, K/block]. */
	scales: Float32Array;
}

/** Quantizes a row-major [n, k] f32 matrix; k must be a multiple of `block` (a power of two ≥ 16). */
export function quantizeQ4(w: Float32Array, n: number, k: number, block = 32): Q4Weight {
	if (w.length !== n * k) throw new Error(`quantizeQ4: ${w.length} values is not ${n}×${k}`);
	if (block < 16 || (block & (block - 1)) !== 0 || k % block !== 0) throw new Error(`quantizeQ4: K=${k} must be a multiple of block ${block} (a power of two ≥ 16)`);
	const nb = k / block;
	const packed = new Uint8Array((n * k) / 2);
	const scales = new Float32Array(n * nb);
	for (let r = 0; r < n; r++) {
		for (let b = 0; b < nb; b++) {
			const o = r * k + b * block;
			let m = 0;
			for (let i = 0; i < block; i++) if (Math.abs(w[o + i]) > Math.abs(m)) m = w[o + i];
			const d = Math.fround(m / -8);
			scales[r * nb + b] = d;
			const inv = d === 0 ? 0 : 1 / d;
			for (let i = 0; i < block; i++) {
				const q = Math.min(15, Math.max(0, Math.round(w[o + i] * inv) + 8));
				const byte = (o + i) >> 1;
				packed[byte] |= (i & 1) === 0 ? q : q << 4;
			}
		}
	}
	return { n, k, block, packed, scales };
}

/** The f32 values MatMulNBits computes with: (q − 8) · scale, row-major [n, k]. */
export function dequantizeQ4(q: Q4Weight): Float32Array {
	const { n, k, block, packed, scales } = q;
	const out = new Float32Array(n * k);
	const nb = k / block;
	for (let r = 0; r < n; r++) {
		for (let c = 0; c < k; c++) {
			const idx = r * k + c;
			const byte = packed[idx >> 1];
			const v = (idx & 1) === 0 ? byte & 15 : byte >> 4;
			out[idx] = (v - 8) * scales[r * nb + Math.floor(c / block)];
		}
	}
	return out;
}
