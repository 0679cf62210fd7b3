/**
 * q4: asymmetric 4-bit block quantization, block of 32 along a row (CPU reference + packing).
 *
 * Layout, per row of K weights (K % 32 == 0), K/32 blocks of 5 little-endian u32 words:
 *   word 0      scale d (f16, low 16 bits) and offset m (f16, high 16 bits) — WGSL unpack2x16float
 *   words 1..4  32 unsigned 4-bit values q, element j in word 1 + j/8, bits 4*(j%8) .. +3
 * and w = d * q + m. Quantize: m = f16(min x), d = f16((max x - m) / 15),
 * q = round((x - m) / d) clamped to [0, 15]. 5 bits per weight (like GGUF Q4_1).
 */
import { QUANT_BLOCK, Q4_BLOCK_WORDS } from '../gpu/tensor.js';
import { f16BitsToF32, f32ToF16Bits } from '../gpu/f16.js';

/** Quantizes a row-major [rows, cols] f32 matrix into packed q4 words. */
export function quantizeQ4(x: Float32Array, rows: number, cols: number): Uint32Array {
	if (cols % QUANT_BLOCK !== 0) throw new Error(`quantizeQ4: cols ${cols} not a multiple of ${QUANT_BLOCK}`);
	const blocks = (rows * cols) / QUANT_BLOCK;
	const out = new Uint32Array(blocks * Q4_BLOCK_WORDS);
	for (let b = 0; b < blocks; b++) {
		const src = b * QUANT_BLOCK;
		let lo = Infinity;
		let hi = -Infinity;
		for (let j = 0; j < QUANT_BLOCK; j++) {
			lo = Math.min(lo, x[src + j]);
			hi = Math.max(hi, x[src + j]);
		}
		const mBits = f32ToF16Bits(lo);
		const m = f16BitsToF32(mBits);
		const dBits = f32ToF16Bits((hi - m) / 15);
		const d = f16BitsToF32(dBits);
		const o = b * Q4_BLOCK_WORDS;
		out[o] = (dBits | (mBits << 16)) >>> 0;
		for (let j = 0; j < QUANT_BLOCK; j++) {
			const q = d === 0 ? 0 : Math.max(0, Math.min(15, Math.round((x[src + j] - m) / d)));
			out[o + 1 + (j >> 3)] = (out[o + 1 + (j >> 3)] | (q << (4 * (j & 7)))) >>> 0;
		}
	}
	return out;
}

/** Dequantizes packed q4 words back to a [rows, cols] f32 matrix (w = d*q + m, in f32). */
export function dequantizeQ4(q: Uint32Array, rows: number, cols: number): Float32Array {
	const blocks = (rows * cols) / QUANT_BLOCK;
	const out = new Float32Array(rows * cols);
	for (let b = 0; b < blocks; b++) {
		const o = b * Q4_BLOCK_WORDS;
		const d = f16BitsToF32(q[o] & 0xffff);
		const m = f16BitsToF32(q[o] >>> 16);
		for (let j = 0; j < QUANT_BLOCK; j++) {
			const v = (q[o + 1 + (j >> 3)] >>> (4 * (j & 7))) & 0xf;
			out[b * QUANT_BLOCK + j] = Math.fround(d * v + m);
		}
	}
	return out;
}
