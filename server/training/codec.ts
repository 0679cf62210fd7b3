/**
 * The delta codec: a worker's parameter delta (f32) in 8-bit blocks, small enough to upload from
 * a browser. Pure TypeScript with no Node imports, so the browser worker bundles it unchanged.
 *
 * Quantization: symmetric, per block of `blockSize` elements (128 by default): `scale =
 * max|x| / 127`, `q = round(x / scale)` in −127…127, decoded `x' = q · scale`, so
 * `|x − x'| ≤ scale / 2 = max|x| / 254` within each block. The scale is stored as f32 (default,
 * exact for any magnitude) or f16 (smaller, but a block whose largest value is under ~6e-5 loses
 * precision and one over 65504·127 overflows). A block holding NaN or ±Inf gets a non-finite scale,
 * which decodes to non-finite values: the codec carries them faithfully and the server's checks
 * refuse them (a corrupted payload, in contrast, fails the checksum here).
 *
 * Binary layout, little-endian:
 * ```
 * 0   4  magic "ODQ8"
 * 4   1  format version (1)
 * 5   1  scale type: 0 = f32, 1 = f16
 * 6   2  block size (1…65535)
 * 8   4  element count
 * 12  4  round
 * 16  4  base version (the parameter version the worker started from)
 * 20  1  job id length L (1…64, ASCII)
 * 21  L  job id
 * …      blocks: [scale (4 or 2 bytes)][int8 × min(blockSize, remaining)] …  (the last block is not padded)
 * end 4  CRC-32 (IEEE) of every byte before it
 * ```
 * Size: 25 + L + n + ⌈n / blockSize⌉ · scaleBytes bytes, i.e. (128 + 4) / 512 = 0.258 of fp32 at
 * the default block size, plus a fixed header.
 */

export const DELTA_MAGIC = 'ODQ8';
export const DELTA_FORMAT_VERSION = 1;
export const DEFAULT_BLOCK_SIZE = 128;
const HEADER_FIXED = 21;
const MAX_JOB_ID = 64;

/** What a delta says about itself. */
export interface DeltaHeader {
	jobId: string;
	round: number;
	baseVersion: number;
	count: number;
	blockSize: number;
	scale: 'f32' | 'f16';
}

/** A payload that is not a well-formed delta (truncated, wrong magic, checksum mismatch…). */
export class DeltaFormatError extends Error {
	override name = 'DeltaFormatError';
}

export interface EncodeOptions {
	blockSize?: number;
	scale?: 'f32' | 'f16';
}

const CRC_TABLE = (() => {
	const table = new Uint32Array(256);
	for (let n = 0; n < 256; n++) {
		let c = n;
		for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
		table[n] = c >>> 0;
	}
	return table;
})();

/** CRC-32 (IEEE 802.3, as zlib) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
	let c = 0xffffffff;
	for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
	return (c ^ 0xffffffff) >>> 0;
}

/** Bytes an encoded delta of `count` elements takes. */
export function encodedSize(count: number, jobId: string, options: EncodeOptions = {}): number {
	const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
	const scaleBytes = (options.scale ?? 'f32') === 'f32' ? 4 : 2;
	return HEADER_FIXED + jobId.length + count + Math.ceil(count / blockSize) * scaleBytes + 4;
}

function checkHeader(h: DeltaHeader): void {
	if (!/^[\x20-\x7e]{1,64}$/.test(h.jobId)) throw new RangeError(`a delta's job id must be 1–${MAX_JOB_ID} printable ASCII characters`);
	for (const [name, v] of [['round', h.round], ['baseVersion', h.baseVersion], ['count', h.count]] as const) {
		if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`a delta's ${name} must be an integer in 0…2^32−1, not ${v}`);
	}
	if (!Number.isInteger(h.blockSize) || h.blockSize < 1 || h.blockSize > 0xffff) throw new RangeError(`block size must be 1…65535, not ${h.blockSize}`);
}

/** Encode `delta` with its header. */
export function encodeDelta(delta: Float32Array, header: Omit<DeltaHeader, 'count' | 'blockSize' | 'scale'>, options: EncodeOptions = {}): Uint8Array {
	const full: DeltaHeader = { ...header, count: delta.length, blockSize: options.blockSize ?? DEFAULT_BLOCK_SIZE, scale: options.scale ?? 'f32' };
	checkHeader(full);
	const out = new Uint8Array(encodedSize(delta.length, full.jobId, options));
	const view = new DataView(out.buffer);
	for (let i = 0; i < 4; i++) out[i] = DELTA_MAGIC.charCodeAt(i);
	out[4] = DELTA_FORMAT_VERSION;
	out[5] = full.scale === 'f32' ? 0 : 1;
	view.setUint16(6, full.blockSize, true);
	view.setUint32(8, full.count, true);
	view.setUint32(12, full.round, true);
	view.setUint32(16, full.baseVersion, true);
	out[20] = full.jobId.length;
	for (let i = 0; i < full.jobId.length; i++) out[21 + i] = full.jobId.charCodeAt(i);
	let at = HEADER_FIXED + full.jobId.length;
	const q = new Int8Array(out.buffer);
	for (let start = 0; start < delta.length; start += full.blockSize) {
		const end = Math.min(start + full.blockSize, delta.length);
		let max = 0;
		for (let i = start; i < end; i++) {
			const a = Math.abs(delta[i]!);
			max = a > max || Number.isNaN(a) ? a : max;
		}
		let scale = max / 127;
		if (full.scale === 'f32') {
			view.setFloat32(at, scale, true);
			scale = view.getFloat32(at, true);
			at += 4;
		} else {
			view.setUint16(at, toHalf(scale), true);
			scale = fromHalf(view.getUint16(at, true));
			at += 2;
		}
		const inv = scale > 0 && Number.isFinite(scale) ? 1 / scale : 0;
		for (let i = start; i < end; i++) q[at++] = Math.max(-127, Math.min(127, Math.round(delta[i]! * inv)));
	}
	view.setUint32(at, crc32(out.subarray(0, at)), true);
	return out;
}

/** Read only the header (checks magic, version and the checksum first). @throws DeltaFormatError */
export function readDeltaHeader(bytes: Uint8Array): DeltaHeader {
	if (bytes.length < HEADER_FIXED + 1 + 4) throw new DeltaFormatError(`a delta is at least ${HEADER_FIXED + 5} bytes; this one has ${bytes.length}`);
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const magic = String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!);
	if (magic !== DELTA_MAGIC) throw new DeltaFormatError(`not a delta: the magic is not "${DELTA_MAGIC}"`);
	const stored = view.getUint32(bytes.length - 4, true);
	if (crc32(bytes.subarray(0, bytes.length - 4)) !== stored) throw new DeltaFormatError('the delta is corrupted: its CRC-32 does not match');
	if (bytes[4] !== DELTA_FORMAT_VERSION) throw new DeltaFormatError(`unsupported delta format version ${bytes[4]}`);
	if (bytes[5] !== 0 && bytes[5] !== 1) throw new DeltaFormatError(`unknown scale type ${bytes[5]}`);
	const idLength = bytes[20]!;
	if (idLength < 1 || idLength > MAX_JOB_ID || bytes.length < HEADER_FIXED + idLength + 4) throw new DeltaFormatError('the delta header is malformed (job id length)');
	const header: DeltaHeader = {
		scale: bytes[5] === 0 ? 'f32' : 'f16',
		blockSize: view.getUint16(6, true),
		count: view.getUint32(8, true),
		round: view.getUint32(12, true),
		baseVersion: view.getUint32(16, true),
		jobId: String.fromCharCode(...bytes.subarray(HEADER_FIXED, HEADER_FIXED + idLength))
	};
	if (header.blockSize < 1) throw new DeltaFormatError('the delta header is malformed (block size 0)');
	if (bytes.length !== encodedSize(header.count, header.jobId, header)) {
		throw new DeltaFormatError(`the delta is ${bytes.length} bytes but its header describes ${encodedSize(header.count, header.jobId, header)}`);
	}
	return header;
}

/** Decode a delta. @throws DeltaFormatError on any malformed or corrupted input. */
export function decodeDelta(bytes: Uint8Array): { header: DeltaHeader; delta: Float32Array } {
	const header = readDeltaHeader(bytes);
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const q = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const delta = new Float32Array(header.count);
	let at = HEADER_FIXED + header.jobId.length;
	for (let start = 0; start < header.count; start += header.blockSize) {
		const end = Math.min(start + header.blockSize, header.count);
		let scale: number;
		if (header.scale === 'f32') {
			scale = view.getFloat32(at, true);
			at += 4;
		} else {
			scale = fromHalf(view.getUint16(at, true));
			at += 2;
		}
		for (let i = start; i < end; i++) delta[i] = q[at++]! * scale;
	}
	return { header, delta };
}

/** Encoded bytes ÷ the bytes of the same vector as raw fp32. */
export function compressionRatio(encodedBytes: number, count: number): number {
	return encodedBytes / (count * 4);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** f32 → IEEE half bits (round to nearest even; overflow → ±Inf, NaN kept). */
export function toHalf(value: number): number {
	f32[0] = value;
	const x = u32[0]!;
	const sign = (x >>> 16) & 0x8000;
	const exp = (x >>> 23) & 0xff;
	let mant = x & 0x7fffff;
	if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
	const e = exp - 127 + 15;
	if (e >= 0x1f) return sign | 0x7c00;
	if (e <= 0) {
		if (e < -10) return sign;
		mant |= 0x800000;
		const shift = 14 - e;
		let half = mant >>> shift;
		const rest = mant & ((1 << shift) - 1);
		const mid = 1 << (shift - 1);
		if (rest > mid || (rest === mid && half & 1)) half++;
		return sign | half;
	}
	let half = (e << 10) | (mant >>> 13);
	const rest = mant & 0x1fff;
	if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++; // a carry rolls into the exponent, as it should
	return sign | half;
}

/** IEEE half bits → number. */
export function fromHalf(bits: number): number {
	const sign = bits & 0x8000 ? -1 : 1;
	const exp = (bits >>> 10) & 0x1f;
	const mant = bits & 0x3ff;
	if (exp === 0) return sign * mant * 2 ** -24;
	if (exp === 0x1f) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
	return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Standard base64 of `bytes` (no Node Buffer, for the browser). */
export function toBase64(bytes: Uint8Array): string {
	let s = '';
	for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
	return btoa(s);
}

/** Bytes of a standard base64 string. @throws DeltaFormatError when it is not base64. */
export function fromBase64(text: string): Uint8Array {
	let s: string;
	try {
		s = atob(text);
	} catch {
		throw new DeltaFormatError('the payload is not valid base64');
	}
	const out = new Uint8Array(s.length);
	for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
	return out;
}
