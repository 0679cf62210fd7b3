/**
 * Test fixtures in the ggml block types llama-quantize writes and Q8_0/Q4_0 fixtures.ts does not:
 * small, clear encoders for Q4_1, Q5_0, Q5_K and Q6_K (valid, not optimal: plain max-based
 * scales, no importance search), and {@link requantizeGguf}, which rewrites the matrices of an
 * F16 GGUF per tensor, as `llama-quantize` mixes types in a Q4_K_M file.
 */
import { f16BitsToF32, f32ToF16Bits } from '../../gpu/f16.js';
import { GGML_TYPES, readGgufHeader, type GgufValue } from '../gguf.js';
import { writeGguf, type GgufWriteTensor, type GgufWriteValue } from '../gguf-write.js';
import { blobSource } from '../source.js';
import { decodeF32, storedBytes } from '../tensors.js';

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));

/** Rounds to f16 and returns [bits, value]. */
function half(x: number): [number, number] {
	const bits = f32ToF16Bits(x);
	return [bits, f16BitsToF32(bits)];
}

/** Q4_1 (20 B per 32): f16 d = (max − min)/15, f16 m = min, q = round((x − m)/d) in 0..15. */
export function encodeQ4_1(x: Float32Array): Uint8Array {
	const out = new Uint8Array((x.length / 32) * 20);
	const dv = new DataView(out.buffer);
	for (let b = 0; b < x.length / 32; b++) {
		const v = x.subarray(b * 32, b * 32 + 32);
		const [mBits, m] = half(Math.min(...v));
		const [dBits, d] = half((Math.max(...v) - m) / 15);
		dv.setUint16(b * 20, dBits, true);
		dv.setUint16(b * 20 + 2, mBits, true);
		const q = (j: number) => (d === 0 ? 0 : clamp(Math.round((v[j] - m) / d), 0, 15));
		for (let j = 0; j < 16; j++) out[b * 20 + 4 + j] = q(j) | (q(j + 16) << 4);
	}
	return out;
}

/** Q5_0 (22 B per 32): f16 d = max|x|/15, q = round(x/d) + 16 in 1..31, high bits in a u32. */
export function encodeQ5_0(x: Float32Array): Uint8Array {
	const out = new Uint8Array((x.length / 32) * 22);
	const dv = new DataView(out.buffer);
	for (let b = 0; b < x.length / 32; b++) {
		const v = x.subarray(b * 32, b * 32 + 32);
		const [dBits, d] = half(Math.max(...v.map(Math.abs)) / 15);
		const q = Array.from(v, (w) => (d === 0 ? 16 : clamp(Math.round(w / d), -16, 15) + 16));
		dv.setUint16(b * 22, dBits, true);
		let qh = 0;
		for (let j = 0; j < 32; j++) qh |= (q[j] >> 4) << j;
		dv.setUint32(b * 22 + 2, qh >>> 0, true);
		for (let j = 0; j < 16; j++) out[b * 22 + 6 + j] = (q[j] & 0xf) | ((q[j + 16] & 0xf) << 4);
	}
	return out;
}

/**
 * Q5_K (176 B per 256): per 32-weight sub-block a range [min(0, lo), hi] in 31 steps; f16 d and
 * dmin = the largest step and offset / 63; 6-bit sc = ⌈step/d⌉, m = ⌈offset/dmin⌉ packed as
 * Q4_K packs them; q = round((x + dmin·m)/(d·sc)) in 0..31, low nibbles and a high-bit plane.
 */
export function encodeQ5_K(x: Float32Array): Uint8Array {
	const out = new Uint8Array((x.length / 256) * 176);
	const dv = new DataView(out.buffer);
	for (let sb = 0; sb < x.length / 256; sb++) {
		const o = sb * 176;
		const v = x.subarray(sb * 256, sb * 256 + 256);
		const step: number[] = [];
		const offset: number[] = [];
		for (let j = 0; j < 8; j++) {
			const sub = v.subarray(j * 32, j * 32 + 32);
			const lo = Math.min(0, ...sub);
			step.push((Math.max(...sub) - lo) / 31);
			offset.push(-lo);
		}
		const [dBits, d] = half(Math.max(...step) / 63);
		const [mBits, dmin] = half(Math.max(...offset) / 63);
		dv.setUint16(o, dBits, true);
		dv.setUint16(o + 2, mBits, true);
		const sc = step.map((s) => (d === 0 ? 0 : clamp(Math.ceil(s / d), 0, 63)));
		const mn = offset.map((m) => (dmin === 0 ? 0 : clamp(Math.ceil(m / dmin), 0, 63)));
		const s = out.subarray(o + 4, o + 16);
		for (let j = 0; j < 4; j++) {
			s[j] = sc[j] | ((sc[j + 4] >> 4) << 6);
			s[j + 4] = mn[j] | ((mn[j + 4] >> 4) << 6);
			s[j + 8] = (sc[j + 4] & 0xf) | ((mn[j + 4] & 0xf) << 4);
		}
		for (let e = 0; e < 256; e++) {
			const j = e >> 5;
			const ds = d * sc[j];
			const q = ds === 0 ? 0 : clamp(Math.round((v[e] + dmin * mn[j]) / ds), 0, 31);
			out[o + 48 + (e >> 6) * 32 + (e & 31)] |= (q & 0xf) << (4 * (j & 1));
			out[o + 16 + (e & 31)] |= (q >> 4) << j;
		}
	}
	return out;
}

/**
 * Q6_K (210 B per 256): per 16 weights an int8 scale sc = round(max|x|/31/d) with f16 d = the
 * largest of those steps / 127; q = round(x/(d·sc)) + 32 in 0..63 as low nibbles + 2-bit highs.
 */
export function encodeQ6_K(x: Float32Array): Uint8Array {
	const out = new Uint8Array((x.length / 256) * 210);
	const dv = new DataView(out.buffer);
	for (let sb = 0; sb < x.length / 256; sb++) {
		const o = sb * 210;
		const v = x.subarray(sb * 256, sb * 256 + 256);
		const step = Array.from({ length: 16 }, (_, g) => Math.max(...v.subarray(g * 16, g * 16 + 16).map(Math.abs)) / 31);
		const [dBits, d] = half(Math.max(...step) / 127);
		dv.setUint16(o + 208, dBits, true);
		const sc = step.map((s) => (d === 0 ? 0 : clamp(Math.round(s / d), -128, 127)));
		sc.forEach((s, g) => dv.setInt8(o + 192 + g, s));
		for (let e = 0; e < 256; e++) {
			const ds = d * sc[e >> 4];
			const q = (ds === 0 ? 0 : clamp(Math.round(v[e] / ds), -32, 31)) + 32;
			const hh = e >> 7;
			const r = e & 127;
			out[o + hh * 64 + (r & 63)] |= (q & 0xf) << (4 * (r >> 6));
			out[o + 128 + hh * 32 + (r & 31)] |= (q >> 4) << (2 * (r >> 5));
		}
	}
	return out;
}

/** A ggml type id and the encoder that writes it. */
export interface GgmlEncoding {
	type: number;
	encode: (x: Float32Array) => Uint8Array;
}

/** The four block types encoded here, by ggml type id. */
export const ENCODINGS = {
	Q4_1: { type: 3, encode: encodeQ4_1 },
	Q5_0: { type: 6, encode: encodeQ5_0 },
	Q5_K: { type: 13, encode: encodeQ5_K },
	Q6_K: { type: 14, encode: encodeQ6_K }
} satisfies Record<string, GgmlEncoding>;

function writeValue(key: string, v: GgufValue): GgufWriteValue {
	if (typeof v === 'string') return { type: 'string', value: v };
	if (typeof v === 'boolean') return { type: 'bool', value: v };
	if (typeof v === 'number') return Number.isInteger(v) ? { type: v < 0 ? 'i32' : 'u32', value: v } : { type: 'f32', value: v };
	if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return { type: 'array', of: 'string', value: v };
	if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return { type: 'array', of: v.every(Number.isInteger) ? 'i32' : 'f32', value: v };
	throw new Error(`requantizeGguf: cannot rewrite metadata ${key}`);
}

/**
 * Rewrites a GGUF file (as fixtureGguf writes it): each tensor for which `pick(name, shape)`
 * returns an encoding is decoded to f32 and re-encoded in it; the rest, and all metadata, are
 * kept (integers are written as u32/i32, other numbers as f32, which the reader reads alike).
 */
export async function requantizeGguf(file: Uint8Array, pick: (name: string, shape: number[]) => GgmlEncoding | null): Promise<Uint8Array> {
	const h = await readGgufHeader(blobSource(new Map([['in.gguf', new Blob([file.slice()])]])), 'in.gguf');
	const metadata = Object.fromEntries([...h.metadata].map(([k, v]) => [k, writeValue(k, v)]));
	const tensors: GgufWriteTensor[] = h.tensors.map((t) => {
		const shape = [...t.dims].reverse();
		const n = shape.reduce((a, b) => a * b, 1);
		const dtype = GGML_TYPES[t.type];
		if (!dtype) throw new Error(`requantizeGguf: ${t.name} has unreadable ggml type ${t.type}`);
		const start = h.dataStart + t.offset;
		const data = file.subarray(start, start + storedBytes(dtype, n));
		const enc = pick(t.name, shape);
		return enc ? { name: t.name, shape, type: enc.type, data: enc.encode(decodeF32(dtype, data, n)) } : { name: t.name, shape, type: t.type, data };
	});
	return writeGguf(metadata, tensors);
}

/**
 * Splits a GGUF file (as fixtureGguf writes it) into `parts` files as llama.cpp's gguf-split
 * does: tensors in order across the files, all metadata in the first, and in every file
 * `split.no` (u16), `split.count` (u16) and `split.tensors.count` (i32; `claimTensors` overrides
 * it, for bad-input tests).
 */
export async function splitGguf(file: Uint8Array, parts: number, o: { claimTensors?: number } = {}): Promise<Uint8Array[]> {
	const h = await readGgufHeader(blobSource(new Map([['in.gguf', new Blob([file.slice()])]])), 'in.gguf');
	const metadata = Object.fromEntries([...h.metadata].map(([k, v]) => [k, writeValue(k, v)]));
	const tensors: GgufWriteTensor[] = h.tensors.map((t) => {
		const shape = [...t.dims].reverse();
		const start = h.dataStart + t.offset;
		return { name: t.name, shape, type: t.type, data: file.subarray(start, start + storedBytes(GGML_TYPES[t.type], shape.reduce((a, b) => a * b, 1))) };
	});
	const per = Math.ceil(tensors.length / parts);
	return Array.from({ length: parts }, (_, i) => {
		const split: Record<string, GgufWriteValue> = {
			'split.no': { type: 'u16', value: i },
			'split.count': { type: 'u16', value: parts },
			'split.tensors.count': { type: 'i32', value: o.claimTensors ?? tensors.length }
		};
		return writeGguf(i === 0 ? { ...metadata, ...split } : split, tensors.slice(i * per, (i + 1) * per));
	});
}
