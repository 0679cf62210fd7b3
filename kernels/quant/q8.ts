/**
 * q8: symmetric 8-bit block quantization, block of 32 along a row (CPU reference + packing).
 *
 * Layout, per row of K weights (K % 32 == 0), K/32 blocks of 9 little-endian u32 words:
 *   word 0      the block scale d as f32 bits
 *   words 1..8  32 signed int8 values q, element j in word 1 + j/4, byte j%4
 * and w = d * q. Quantize: d = max|x| / 127, q = round(x / d) clamped to [-127, 127].
 * 9 bits per weight: like GGUF Q8_0 but with an f32 scale, so every block is word aligned.
 */
import { QUANT_BLOCK, Q8_BLOCK_WORDS } from '../gpu/tensor.js';

/** Quantizes a row-major [rows, cols] f32 matrix into packed q8 words. */
export function quantizeQ8(x: Float32Array, rows: number, cols: number): Uint32Array {
	if (cols % QUANT_BLOCK !== 0) throw new Error(`quantizeQ8: cols ${cols} not a multiple of ${QUANT_BLOCK}`);
	const blocks = (rows * cols) / QUANT_BLOCK;
	const out = new Uint32Array(blocks * Q8_BLOCK_WORDS);
	const f = new Float32Array(1);
	const fu = new Uint32Array(f.buffer);
	for (let b = 0; b < blocks; b++) {
		const src = b * QUANT_BLOCK;
		let amax = 0;
		for (let j = 0; j < QUANT_BLOCK; j++) amax = Math.max(amax, Math.abs(x[src + j]));
		const d = Math.fround(amax / 127);
		f[0] = d;
		const o = b * Q8_BLOCK_WORDS;
		out[o] = fu[0];
		for (let j = 0; j < QUANT_BLOCK; j++) {
			const q = d === 0 ? 0 : Math.max(-127, Math.min(127, Math.round(x[src + j] / d)));
			out[o + 1 + (j >> 2)] |= (q & 0xff) << (8 * (j & 3));
		}
	}
	return out;
}

/** Dequantizes packed q8 words back to a [rows, cols] f32 matrix. */
export function dequantizeQ8(q: Uint32Array, rows: number, cols: number): Float32Array {
	const blocks = (rows * cols) / QUANT_BLOCK;
	const out = new Float32Array(rows * cols);
	const f = new Float32Array(1);
	const fu = new Uint32Array(f.buffer);
	for (let b = 0; b < blocks; b++) {
		const o = b * Q8_BLOCK_WORDS;
		fu[0] = q[o];
		const d = f[0];
		for (let j = 0; j < QUANT_BLOCK; j++) {
			const byte = (q[o + 1 + (j >> 2)] >>> (8 * (j & 3))) & 0xff;
			out[b * QUANT_BLOCK + j] = d * ((byte << 24) >> 24);
		}
	}
	return out;
}
