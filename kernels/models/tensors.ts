/**
 * Tensors as stored in a model file (safetensors or GGUF), before anything is read: name (our
 * canonical Hugging Face name), dtype, shape and byte range. Reading converts to the host
 * formats the GPU layer uploads: f32 values, f16 bits, or packed q8/q4 words.
 */
import { f32ToF16Bits, f16BitsToF32 } from '../gpu/f16.js';
import { Q4_BLOCK_WORDS, Q8_BLOCK_WORDS, type WeightFormat, type WeightData } from '../gpu/tensor.js';
import { ModelError } from './errors.js';
import type { ModelSource } from './source.js';

/** Storage types we can read. GGUF's block formats keep their names. */
export type StoredDType = 'f32' | 'f16' | 'bf16' | 'q8_0' | 'q4_0' | 'q4_k';

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
		case 'q4_k':
			return (n / 256) * 144;
	}
}

function view(bytes: Uint8Array): DataView {
	return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes stored bytes to f32 values. */
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
		case 'q4_k':
			forEachQ4kBlock(bytes, n, (blk, scale, min, q) => {
				for (let j = 0; j < 32; j++) out[blk * 32 + j] = scale * q[j] - min;
			});
			return out;
	}
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
		const scaleMin = (j: number): [number, number] =>
			j < 4
				? [s[j] & 63, s[j + 4] & 63]
				: [(s[j + 4] & 0xf) | ((s[j - 4] >> 6) << 4), (s[j + 4] >> 4) | ((s[j] >> 6) << 4)];
		for (let pair = 0; pair < 4; pair++) {
			for (let half = 0; half < 2; half++) {
				const j = pair * 2 + half;
				const [sc, m] = scaleMin(j);
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
 * scale widened to f32); Q4_0 → q4 exactly (m = −8·d); Q4_K → q4 with the per-sub-block scale
 * d·sc and min −dmin·m rounded to f16.
 */
export function repackGguf(dtype: 'q8_0' | 'q4_0' | 'q4_k', bytes: Uint8Array, n: number): Uint32Array {
	const dv = view(bytes);
	const blocks = n / 32;
	if (dtype === 'q8_0') {
		const out = new Uint32Array(blocks * Q8_BLOCK_WORDS);
		const f = new Float32Array(1);
		const fu = new Uint32Array(f.buffer);
		for (let b = 0; b < blocks; b++) {
			f[0] = f16BitsToF32(dv.getUint16(b * 34, true));
			out[b * 9] = fu[0];
			for (let w = 0; w < 8; w++) out[b * 9 + 1 + w] = dv.getUint32(b * 34 + 2 + w * 4, true);
		}
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
	forEachQ4kBlock(bytes, n, (b, scale, min, q) => put(b, f32ToF16Bits(scale), f32ToF16Bits(-min), q));
	return out;
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
	if (format === 'q8' && t.dtype === 'q8_0') return repackGguf('q8_0', bytes, n);
	if (format === 'q4' && (t.dtype === 'q4_0' || t.dtype === 'q4_k')) return repackGguf(t.dtype, bytes, n);
	const f = decodeF32(t.dtype, bytes, n);
	if (format === 'f32') return f;
	if (format === 'f16') {
		const out = new Uint16Array(n);
		for (let i = 0; i < n; i++) out[i] = f32ToF16Bits(f[i]);
		return out;
	}
	throw new ModelError('bad-dtype', `${t.name}: cannot convert ${t.dtype} to ${format} here (quantize with kernels/quant)`);
}
