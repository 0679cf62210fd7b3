/**
 * Tensors as stored in a model file (safetensors or GGUF), before anything is read: name (our
 * canonical Hugging Face name), dtype, shape and byte range. Reading converts to the host
 * formats the GPU layer uploads: f32 values, f16 bits, or packed q8/q4 words.
 */
import { f32ToF16Bits, f16BitsToF32 } from '../gpu/f16.js';
import { Q4_BLOCK_WORDS, Q8_BLOCK_WORDS, type WeightFormat, type WeightData } from '../gpu/tensor.js';
import { quantizeQ8 } from '../quant/q8.js';
import { ModelError } from './errors.js';
import type { ModelSource } from './source.js';

/** Storage types we can read. GGUF's block formats keep their names. */
export type StoredDType =
	| 'f32'
	| 'f16'
	| 'bf16'
	| 'q8_0'
	| 'q4_0'
	| 'q4_1'
	| 'q5_0'
	| 'q5_1'
	| 'q2_k'
	| 'q3_k'
	| 'q4_k'
	| 'q5_k'
	| 'q6_k'
	| 'iq4_nl'
	| 'iq4_xs';

/** GGUF block types, by the format each loads as (the nearest of ours: see {@link toBlockFormat}). */
const BLOCK_FORMAT: Partial<Record<StoredDType, 'q8' | 'q4'>> = {
	q8_0: 'q8',
	q5_0: 'q8',
	q5_1: 'q8',
	q2_k: 'q8',
	q3_k: 'q8',
	q5_k: 'q8',
	q6_k: 'q8',
	iq4_nl: 'q8',
	iq4_xs: 'q8',
	q4_0: 'q4',
	q4_1: 'q4',
	q4_k: 'q4'
};

/** The GPU format a GGUF block type loads as (q8 or q4); null for float dtypes. */
export function ggufBlockFormat(dtype: StoredDType): 'q8' | 'q4' | null {
	return BLOCK_FORMAT[dtype] ?? null;
}

/** Elements per block of `dtype`: 256 for the K types, 32 for the other block types, 1 for floats. */
export function blockElements(dtype: StoredDType): number {
	return dtype.endsWith('_k') || dtype === 'iq4_xs' ? 256 : dtype.startsWith('q') || dtype === 'iq4_nl' ? 32 : 1;
}

export interface StoredTensor {
	/** Canonical (Hugging Face) name, e.g. `model.layers.0.self_attn.q_proj.weight`. */
	name: string;
	/** The name inside the file (differs for GGUF). */
	fileName: string;
	file: string;
	dtype: StoredDType;
	/** Row-major: [rows, cols] for matrices, [n] for vectors. */
	shape: number[];
	/** Absolute byte range in the file. */
	start: number;
	end: number;
}

/** All tensors of a model by canonical name; `unsupported` lists names with dtypes we cannot read. */
export interface TensorIndex {
	tensors: Map<string, StoredTensor>;
	unsupported: Map<string, string>;
}

/** Bytes of `n` elements stored as `dtype` (block formats need n % block == 0). */
export function storedBytes(dtype: StoredDType, n: number): number {
	switch (dtype) {
		case 'f32':
			return n * 4;
		case 'f16':
		case 'bf16':
			return n * 2;
		case 'q8_0':
			return (n / 32) * 34;
		case 'q4_0':
			return (n / 32) * 18;
		case 'q4_1':
			return (n / 32) * 20;
		case 'q5_0':
			return (n / 32) * 22;
		case 'q5_1':
			return (n / 32) * 24;
		case 'q2_k':
			return (n / 256) * 84;
		case 'q3_k':
			return (n / 256) * 110;
		case 'q4_k':
			return (n / 256) * 144;
		case 'q5_k':
			return (n / 256) * 176;
		case 'q6_k':
			return (n / 256) * 210;
		case 'iq4_nl':
			return (n / 32) * 18;
		case 'iq4_xs':
			return (n / 256) * 136;
	}
}

function view(bytes: Uint8Array): DataView {
	return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Decodes stored bytes to f32 values, GGUF blocks as ggml's dequantize_row_* do. In every block
 * type the product of an f16 scale and the integer quants fits f32's 24-bit mantissa (Q6_K's
 * d·sc·q excepted, which ggml rounds once too), so computing in doubles and storing to f32 gives
 * ggml's f32 results bit for bit.
 */
export function decodeF32(dtype: StoredDType, bytes: Uint8Array, n: number): Float32Array {
	const dv = view(bytes);
	const out = new Float32Array(n);
	switch (dtype) {
		case 'f32':
			for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
			return out;
		case 'f16':
			for (let i = 0; i < n; i++) out[i] = f16BitsToF32(dv.getUint16(i * 2, true));
			return out;
		case 'bf16': {
			const u = new Uint32Array(out.buffer);
			for (let i = 0; i < n; i++) u[i] = dv.getUint16(i * 2, true) << 16;
			return out;
		}
		case 'q8_0':
			for (let b = 0; b < n / 32; b++) {
				const d = f16BitsToF32(dv.getUint16(b * 34, true));
				for (let j = 0; j < 32; j++) out[b * 32 + j] = d * dv.getInt8(b * 34 + 2 + j);
			}
			return out;
		case 'q4_0':
			for (let b = 0; b < n / 32; b++) {
				const d = f16BitsToF32(dv.getUint16(b * 18, true));
				for (let j = 0; j < 16; j++) {
					const byte = dv.getUint8(b * 18 + 2 + j);
					out[b * 32 + j] = d * ((byte & 0xf) - 8);
					out[b * 32 + j + 16] = d * ((byte >> 4) - 8);
				}
			}
			return out;
		case 'q4_1':
			// 20 B: f16 d, f16 m, 16 bytes of nibbles (element j low, j + 16 high); w = d·q + m.
			for (let b = 0; b < n / 32; b++) {
				const d = f16BitsToF32(dv.getUint16(b * 20, true));
				const m = f16BitsToF32(dv.getUint16(b * 20 + 2, true));
				for (let j = 0; j < 16; j++) {
					const byte = bytes[b * 20 + 4 + j];
					out[b * 32 + j] = d * (byte & 0xf) + m;
					out[b * 32 + j + 16] = d * (byte >> 4) + m;
				}
			}
			return out;
		case 'q5_0':
			// d·(q − 16), not d·q − 16·d: a zero weight keeps ggml's sign (−0 where d < 0).
			forEachQ5Block(dtype, bytes, n, (b, d, _m, q) => {
				for (let j = 0; j < 32; j++) out[b * 32 + j] = d * (q[j] - 16);
			});
			return out;
		case 'q5_1':
			forEachQ5Block(dtype, bytes, n, (b, d, m, q) => {
				for (let j = 0; j < 32; j++) out[b * 32 + j] = d * q[j] + m;
			});
			return out;
		case 'q2_k':
			decodeQ2k(bytes, n, out);
			return out;
		case 'q3_k':
			decodeQ3k(bytes, n, out);
			return out;
		case 'q4_k':
			forEachQ4kBlock(bytes, n, (blk, scale, min, q) => {
				for (let j = 0; j < 32; j++) out[blk * 32 + j] = scale * q[j] - min;
			});
			return out;
		case 'q5_k':
			decodeQ5k(bytes, n, out);
			return out;
		case 'q6_k':
			decodeQ6k(bytes, n, out);
			return out;
		case 'iq4_nl':
		case 'iq4_xs':
			forEachIq4Block(dtype, bytes, n, (b, d, q) => {
				for (let j = 0; j < 32; j++) out[b * 32 + j] = d * q[j];
			});
			return out;
	}
}

/** The 16 int8 levels the IQ4 types' nibbles index (ggml's kvalues_iq4nl): non-uniform, denser near 0. */
const IQ4_LEVELS = Int8Array.of(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);

/**
 * Walks the 32-weight blocks of IQ4_NL (18 B: f16 d, 16 bytes of nibbles, element j low nibble of
 * byte j, j + 16 high; w = d·L[q]) or IQ4_XS (136 B per 256: f16 d, u16 of 2-bit high scale parts,
 * 4 bytes of 4-bit low parts, 128 bytes of nibbles; block i's scale is d·(ls_i − 32) with ls_i
 * 6 bits), giving each block's f32 scale and its 32 int8 levels L[q].
 */
function forEachIq4Block(dtype: 'iq4_nl' | 'iq4_xs', bytes: Uint8Array, n: number, fn: (block: number, d: number, q: Int8Array) => void): void {
	const dv = view(bytes);
	const q = new Int8Array(32);
	const levels = (qs: number) => {
		for (let j = 0; j < 16; j++) {
			q[j] = IQ4_LEVELS[bytes[qs + j] & 0xf];
			q[j + 16] = IQ4_LEVELS[bytes[qs + j] >> 4];
		}
	};
	if (dtype === 'iq4_nl') {
		for (let b = 0; b < n / 32; b++) {
			levels(b * 18 + 2);
			fn(b, f16BitsToF32(dv.getUint16(b * 18, true)), q);
		}
		return;
	}
	for (let sb = 0; sb < n / 256; sb++) {
		const o = sb * 136;
		const d = f16BitsToF32(dv.getUint16(o, true));
		const high = dv.getUint16(o + 2, true);
		for (let i = 0; i < 8; i++) {
			const ls = ((bytes[o + 4 + (i >> 1)] >> (4 * (i & 1))) & 0xf) | (((high >> (2 * i)) & 3) << 4);
			levels(o + 8 + i * 16);
			// An f16 times a 6-bit integer is exact in f32, as ggml's float product is.
			fn(sb * 8 + i, Math.fround(d * (ls - 32)), q);
		}
	}
}

/**
 * Walks the 32-weight blocks of GGUF Q5_0 (22 B: f16 d, u32 of high bits, 16 bytes of low
 * nibbles; w = d·(q − 16)) or Q5_1 (24 B: f16 d, f16 m, then the same; w = d·q + m), giving
 * d, m (0 for Q5_0) and q in 0..31. Element j has low nibble byte j % 16 (j < 16 low half,
 * else high half) and high bit j of the u32.
 */
function forEachQ5Block(
	dtype: 'q5_0' | 'q5_1',
	bytes: Uint8Array,
	n: number,
	fn: (block: number, d: number, m: number, q: Uint8Array) => void
): void {
	const dv = view(bytes);
	const size = dtype === 'q5_0' ? 22 : 24;
	const q = new Uint8Array(32);
	for (let b = 0; b < n / 32; b++) {
		const o = b * size;
		const d = f16BitsToF32(dv.getUint16(o, true));
		const m = dtype === 'q5_0' ? 0 : f16BitsToF32(dv.getUint16(o + 2, true));
		const h = o + size - 20;
		const qh = dv.getUint32(h, true);
		for (let j = 0; j < 16; j++) {
			const byte = bytes[h + 4 + j];
			q[j] = (byte & 0xf) | (((qh >>> j) & 1) << 4);
			q[j + 16] = (byte >> 4) | (((qh >>> (j + 16)) & 1) << 4);
		}
		fn(b, d, m, q);
	}
}

/**
 * Q2_K (84 B per 256): 16 bytes of 4-bit scale | 4-bit min per 16 weights, 64 bytes of 2-bit
 * quants, f16 d, f16 dmin; w = d·sc·q − dmin·m. Each 128-weight half reads 32 bytes four times,
 * shifting by 2 bits, 16 bytes per scale.
 */
function decodeQ2k(bytes: Uint8Array, n: number, out: Float32Array): void {
	const dv = view(bytes);
	for (let sb = 0; sb < n / 256; sb++) {
		const o = sb * 84;
		const d = f16BitsToF32(dv.getUint16(o + 80, true));
		const dmin = f16BitsToF32(dv.getUint16(o + 82, true));
		let y = sb * 256;
		let is = 0;
		for (let half = 0; half < 2; half++) {
			const qs = o + 16 + half * 32;
			for (let shift = 0; shift < 8; shift += 2) {
				for (let g = 0; g < 2; g++) {
					const sc = bytes[o + is++];
					const dl = d * (sc & 0xf);
					const ml = dmin * (sc >> 4);
					for (let l = 0; l < 16; l++) out[y++] = dl * ((bytes[qs + g * 16 + l] >> shift) & 3) - ml;
				}
			}
		}
	}
}

/**
 * Q3_K (110 B per 256): 32 bytes of high bits (weight e: byte e % 32, bit e / 32), 64 bytes of
 * 2-bit quants (as Q2_K), 12 bytes of 6-bit signed scales per 16 weights (low nibbles in bytes
 * 0–7, high 2-bit pairs in bytes 8–11), f16 d; w = d·(sc − 32)·(q − (high bit ? 0 : 4)).
 */
function decodeQ3k(bytes: Uint8Array, n: number, out: Float32Array): void {
	const dv = view(bytes);
	for (let sb = 0; sb < n / 256; sb++) {
		const o = sb * 110;
		const s = bytes.subarray(o + 96, o + 108);
		const d = f16BitsToF32(dv.getUint16(o + 108, true));
		const scale = (j: number) => ((j < 8 ? s[j] & 0xf : s[j - 8] >> 4) | (((s[8 + (j & 3)] >> (2 * (j >> 2))) & 3) << 4)) - 32;
		let y = sb * 256;
		let is = 0;
		let bit = 0;
		for (let half = 0; half < 2; half++) {
			const qs = o + 32 + half * 32;
			for (let shift = 0; shift < 8; shift += 2, bit++) {
				for (let g = 0; g < 2; g++) {
					const dl = d * scale(is++);
					for (let l = 0; l < 16; l++) {
						const hi = (bytes[o + g * 16 + l] >> bit) & 1;
						out[y++] = dl * (((bytes[qs + g * 16 + l] >> shift) & 3) - (hi ? 0 : 4));
					}
				}
			}
		}
	}
}

/**
 * Q5_K (176 B per 256): f16 d, f16 dmin, 12 bytes of 6-bit scales/mins (as Q4_K), 32 bytes of
 * high bits (weight e: byte e % 32, bit e / 32), 128 bytes of nibbles (as Q4_K); w = d·sc·q − dmin·m.
 */
function decodeQ5k(bytes: Uint8Array, n: number, out: Float32Array): void {
	const dv = view(bytes);
	for (let sb = 0; sb < n / 256; sb++) {
		const o = sb * 176;
		const d = f16BitsToF32(dv.getUint16(o, true));
		const dmin = f16BitsToF32(dv.getUint16(o + 2, true));
		const s = bytes.subarray(o + 4, o + 16);
		let y = sb * 256;
		for (let pair = 0; pair < 4; pair++) {
			for (let half = 0; half < 2; half++) {
				const j = pair * 2 + half;
				const [sc, m] = kScaleMin(s, j);
				const d1 = d * sc;
				const m1 = dmin * m;
				for (let l = 0; l < 32; l++) {
					const q = ((bytes[o + 48 + pair * 32 + l] >> (4 * half)) & 0xf) | (((bytes[o + 16 + l] >> j) & 1) << 4);
					out[y++] = d1 * q - m1;
				}
			}
		}
	}
}

/**
 * Q6_K (210 B per 256): 128 bytes of low nibbles, 64 bytes of 2-bit high parts, 16 int8 scales
 * per 16 weights, f16 d; w = d·sc·(q − 32). Each 128-weight half: low nibbles from 64 bytes
 * (weights 0–63 low, 64–127 high), high parts from 32 bytes shifted by 2 per 32 weights.
 */
function decodeQ6k(bytes: Uint8Array, n: number, out: Float32Array): void {
	const dv = view(bytes);
	for (let sb = 0; sb < n / 256; sb++) {
		const o = sb * 210;
		const d = f16BitsToF32(dv.getUint16(o + 208, true));
		for (let half = 0; half < 2; half++) {
			const y = sb * 256 + half * 128;
			const ql = o + half * 64;
			const qh = o + 128 + half * 32;
			const sc = o + 192 + half * 8;
			for (let l = 0; l < 32; l++) {
				const is = l >> 4;
				const a = bytes[ql + l];
				const b = bytes[ql + l + 32];
				const h = bytes[qh + l];
				out[y + l] = d * dv.getInt8(sc + is) * (((a & 0xf) | ((h & 3) << 4)) - 32);
				out[y + l + 32] = d * dv.getInt8(sc + is + 2) * (((b & 0xf) | (((h >> 2) & 3) << 4)) - 32);
				out[y + l + 64] = d * dv.getInt8(sc + is + 4) * (((a >> 4) | (((h >> 4) & 3) << 4)) - 32);
				out[y + l + 96] = d * dv.getInt8(sc + is + 6) * (((b >> 4) | ((h >> 6) << 4)) - 32);
			}
		}
	}
}

/** The 6-bit scale and min of sub-block j (0..7) from the 12 packed bytes of Q4_K/Q5_K. */
function kScaleMin(s: Uint8Array, j: number): [number, number] {
	return j < 4
		? [s[j] & 63, s[j + 4] & 63]
		: [(s[j + 4] & 0xf) | ((s[j - 4] >> 6) << 4), (s[j + 4] >> 4) | ((s[j] >> 6) << 4)];
}

/**
 * Walks the 32-weight sub-blocks of GGUF Q4_K data (super-blocks of 256: f16 d, f16 dmin,
 * 12 bytes of 6-bit scales/mins, 128 bytes of nibbles; w = d·sc·q − dmin·m), as ggml's
 * dequantize_row_q4_K does.
 */
export function forEachQ4kBlock(
	bytes: Uint8Array,
	n: number,
	fn: (block: number, scale: number, min: number, q: Uint8Array) => void
): void {
	const dv = view(bytes);
	const q = new Uint8Array(32);
	for (let sb = 0; sb < n / 256; sb++) {
		const o = sb * 144;
		const d = f16BitsToF32(dv.getUint16(o, true));
		const dmin = f16BitsToF32(dv.getUint16(o + 2, true));
		const s = bytes.subarray(o + 4, o + 16);
		const qs = bytes.subarray(o + 16, o + 144);
		for (let pair = 0; pair < 4; pair++) {
			for (let half = 0; half < 2; half++) {
				const j = pair * 2 + half;
				const [sc, m] = kScaleMin(s, j);
				for (let l = 0; l < 32; l++) {
					const byte = qs[pair * 32 + l];
					q[l] = half === 0 ? byte & 0xf : byte >> 4;
				}
				fn(sb * 8 + j, d * sc, dmin * m, q);
			}
		}
	}
}

/**
 * Repacks GGUF block data into our q8/q4 formats without dequantizing: Q8_0 → q8 exactly (f16
 * scale widened to f32); Q5_0 → q8 exactly (q − 16 is an int8 in [−16, 15]); Q4_0 → q4 exactly
 * (m = −8·d); Q4_1 → q4 exactly (its f16 d and m are ours); IQ4_NL and IQ4_XS → q8 exactly
 * (their levels are int8s, their block scales exact f32s); Q4_K → q4 with the per-sub-block
 * scale d·sc and min −dmin·m rounded to f16.
 */
export function repackGguf(dtype: 'q8_0' | 'q5_0' | 'iq4_nl' | 'iq4_xs' | 'q4_0' | 'q4_1' | 'q4_k', bytes: Uint8Array, n: number): Uint32Array {
	const dv = view(bytes);
	const blocks = n / 32;
	if (dtype === 'iq4_nl' || dtype === 'iq4_xs') {
		const out = new Uint32Array(blocks * Q8_BLOCK_WORDS);
		const f = new Float32Array(out.buffer);
		forEachIq4Block(dtype, bytes, n, (b, d, q) => {
			f[b * 9] = d;
			for (let j = 0; j < 32; j++) out[b * 9 + 1 + (j >> 2)] |= (q[j] & 0xff) << (8 * (j & 3));
		});
		return out;
	}
	if (dtype === 'q8_0' || dtype === 'q5_0') {
		const out = new Uint32Array(blocks * Q8_BLOCK_WORDS);
		const f = new Float32Array(1);
		const fu = new Uint32Array(f.buffer);
		if (dtype === 'q8_0') {
			for (let b = 0; b < blocks; b++) {
				f[0] = f16BitsToF32(dv.getUint16(b * 34, true));
				out[b * 9] = fu[0];
				for (let w = 0; w < 8; w++) out[b * 9 + 1 + w] = dv.getUint32(b * 34 + 2 + w * 4, true);
			}
			return out;
		}
		forEachQ5Block('q5_0', bytes, n, (b, d, _m, q) => {
			f[0] = d;
			out[b * 9] = fu[0];
			for (let j = 0; j < 32; j++) out[b * 9 + 1 + (j >> 2)] |= ((q[j] - 16) & 0xff) << (8 * (j & 3));
		});
		return out;
	}
	const out = new Uint32Array(blocks * Q4_BLOCK_WORDS);
	const put = (b: number, dBits: number, mBits: number, q: ArrayLike<number>) => {
		out[b * 5] = (dBits | (mBits << 16)) >>> 0;
		for (let j = 0; j < 32; j++) out[b * 5 + 1 + (j >> 3)] = (out[b * 5 + 1 + (j >> 3)] | (q[j] << (4 * (j & 7)))) >>> 0;
	};
	if (dtype === 'q4_0') {
		const q = new Uint8Array(32);
		for (let b = 0; b < blocks; b++) {
			const dBits = dv.getUint16(b * 18, true);
			for (let j = 0; j < 16; j++) {
				const byte = bytes[b * 18 + 2 + j];
				q[j] = byte & 0xf;
				q[j + 16] = byte >> 4;
			}
			put(b, dBits, f32ToF16Bits(-8 * f16BitsToF32(dBits)), q);
		}
		return out;
	}
	if (dtype === 'q4_1') {
		const q = new Uint8Array(32);
		for (let b = 0; b < blocks; b++) {
			for (let j = 0; j < 16; j++) {
				const byte = bytes[b * 20 + 4 + j];
				q[j] = byte & 0xf;
				q[j + 16] = byte >> 4;
			}
			put(b, dv.getUint16(b * 20, true), dv.getUint16(b * 20 + 2, true), q);
		}
		return out;
	}
	forEachQ4kBlock(bytes, n, (b, scale, min, q) => put(b, f32ToF16Bits(scale), f32ToF16Bits(-min), q));
	return out;
}

/** Whether loading `dtype` requantizes (decodes, then quantizes again): worth caching. */
export function requantizes(dtype: StoredDType): dtype is 'q5_1' | 'q2_k' | 'q3_k' | 'q5_k' | 'q6_k' {
	return dtype === 'q5_1' || dtype === 'q2_k' || dtype === 'q3_k' || dtype === 'q5_k' || dtype === 'q6_k';
}

/**
 * Requantizes GGUF Q5_1, Q2_K, Q3_K, Q5_K or Q6_K data into q8: decoded to f32 a chunk at a
 * time, then each 32-block quantized by {@link quantizeQ8} (d = max|w|/127, round to nearest).
 * This adds at most half a q8 step, max|w|/254 per block, far below these formats' own steps
 * (Q6_K's is ~max|w|/32). Q2_K and Q3_K take more memory as q8 (9 bits per weight against 2.6
 * and 3.4) but stay exact to 1/254 of each block's largest weight.
 */
export function requantizeQ8(dtype: 'q5_1' | 'q2_k' | 'q3_k' | 'q5_k' | 'q6_k', bytes: Uint8Array, n: number): Uint32Array {
	const out = new Uint32Array((n / 32) * Q8_BLOCK_WORDS);
	const chunk = 1 << 14; // a multiple of every block size: 64 KiB of f32 at a time
	for (let s = 0; s < n; s += chunk) {
		const len = Math.min(chunk, n - s);
		const f = decodeF32(dtype, bytes.subarray(storedBytes(dtype, s), storedBytes(dtype, s + len)), len);
		out.set(quantizeQ8(f, 1, len), (s / 32) * Q8_BLOCK_WORDS);
	}
	return out;
}

/**
 * A GGUF block tensor in the format {@link ggufBlockFormat} names: repacked exactly where the
 * layouts allow (Q8_0, Q5_0 → q8; Q4_0, Q4_1 → q4), Q4_K with f16-rounded scales, the rest
 * requantized into q8.
 */
export function toBlockFormat(dtype: StoredDType, bytes: Uint8Array, n: number): Uint32Array {
	if (requantizes(dtype)) return requantizeQ8(dtype, bytes, n);
	if (dtype === 'f32' || dtype === 'f16' || dtype === 'bf16') throw new ModelError('bad-dtype', `toBlockFormat: ${dtype} is not a GGUF block type`);
	return repackGguf(dtype, bytes, n);
}

/** Reads a tensor's raw bytes. */
export function readStored(src: ModelSource, t: StoredTensor): Promise<Uint8Array> {
	return src.readRange(t.file, t.start, t.end);
}

/** Reads a tensor as f32 values (any dtype, dequantized). */
export async function readF32(src: ModelSource, t: StoredTensor): Promise<Float32Array> {
	const n = t.shape.reduce((a, b) => a * b, 1);
	return decodeF32(t.dtype, await readStored(src, t), n);
}

/** Reads a tensor in the upload format `format` (which must be reachable from its dtype). */
export async function readAs(src: ModelSource, t: StoredTensor, format: WeightFormat): Promise<WeightData> {
	const n = t.shape.reduce((a, b) => a * b, 1);
	const bytes = await readStored(src, t);
	if (format === 'f16' && t.dtype === 'f16') {
		const out = new Uint16Array(n);
		const dv = view(bytes);
		for (let i = 0; i < n; i++) out[i] = dv.getUint16(i * 2, true);
		return out;
	}
	if (format === ggufBlockFormat(t.dtype)) return toBlockFormat(t.dtype, bytes, n);
	const f = decodeF32(t.dtype, bytes, n);
	if (format === 'f32') return f;
	if (format === 'f16') {
		const out = new Uint16Array(n);
		for (let i = 0; i < n; i++) out[i] = f32ToF16Bits(f[i]);
		return out;
	}
	throw new ModelError('bad-dtype', `${t.name}: cannot convert ${t.dtype} to ${format} here (quantize with kernels/quant)`);
}
