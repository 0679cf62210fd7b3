/**
 * Device tensors (a buffer plus dtype and shape) and weights (a matrix split over several
 * buffers along its rows so that no binding exceeds maxStorageBufferBindingSize).
 */
import type { GpuContext } from './context.js';
import { createStorage, uploadBuffer } from './buffers.js';
import { check, GpuError } from './errors.js';
import { toF16Array } from './f16.js';

/** Element types of activation tensors. Activations are f32; ids are u32; f16 for tables. */
export type DType = 'f32' | 'f16' | 'u32';

/** Storage formats of weight matrices. q8/q4 are described in kernels/quant/. */
export type WeightFormat = 'f32' | 'f16' | 'q8' | 'q4';

/** A tensor on the device: row-major, densely packed. */
export interface DeviceTensor {
	readonly buffer: GPUBuffer;
	readonly dtype: DType;
	readonly shape: readonly number[];
}

/** One buffer of a split weight: rows [rowStart, rowStart + rows). */
export interface WeightPart {
	readonly buffer: GPUBuffer;
	readonly rowStart: number;
	readonly rows: number;
}

/**
 * A [rows, cols] matrix (HF Linear layout [out_features, in_features], or an embedding
 * table [vocab, dim]) stored in `format`, split along rows into parts.
 */
export interface Weight {
	readonly format: WeightFormat;
	readonly rows: number;
	readonly cols: number;
	readonly parts: readonly WeightPart[];
}

/** Bytes per element of a dtype. */
export function dtypeBytes(dtype: DType): number {
	return dtype === 'f16' ? 2 : 4;
}

/** Number of elements in a shape. */
export function numel(shape: readonly number[]): number {
	return shape.reduce((a, b) => a * b, 1);
}

/** Uploads host data as a device tensor. f16 accepts f32 values (rounded) or f16 bits. */
export function tensorFrom(
	ctx: GpuContext,
	data: Float32Array | Uint32Array | Uint16Array,
	shape: readonly number[],
	dtype: DType = data instanceof Uint32Array ? 'u32' : data instanceof Uint16Array ? 'f16' : 'f32',
	label?: string
): DeviceTensor {
	check(data.length === numel(shape), `tensorFrom: ${data.length} values for shape [${shape}]`);
	const payload = dtype === 'f16' && data instanceof Float32Array ? toF16Array(data) : data;
	return { buffer: uploadBuffer(ctx, payload, label), dtype, shape: [...shape] };
}

/** A zero-filled device tensor. */
export function emptyTensor(ctx: GpuContext, shape: readonly number[], dtype: DType = 'f32', label?: string): DeviceTensor {
	return { buffer: createStorage(ctx, numel(shape) * dtypeBytes(dtype), label), dtype, shape: [...shape] };
}

/** Throws unless `t` has `dtype` and `shape` (and its buffer is large enough). */
export function checkTensor(t: DeviceTensor, dtype: DType, shape: readonly number[], what: string): void {
	if (t.dtype !== dtype) throw new GpuError('invalid-input', `${what}: dtype ${t.dtype}, expected ${dtype}`);
	const ok = t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]);
	if (!ok) throw new GpuError('invalid-input', `${what}: shape [${t.shape}], expected [${shape}]`);
	if (t.buffer.size < numel(shape) * dtypeBytes(dtype)) {
		throw new GpuError('invalid-input', `${what}: buffer of ${t.buffer.size} bytes is too small for [${shape}]`);
	}
}

/** Quantization block: 32 weights along a row (cols must be a multiple of it for q8/q4). */
export const QUANT_BLOCK = 32;
/** u32 words per q8 block: 1 f32 scale + 32 int8. */
export const Q8_BLOCK_WORDS = 9;
/** u32 words per q4 block: 1 word of (f16 scale, f16 min) + 32 nibbles. */
export const Q4_BLOCK_WORDS = 5;

/** Bytes of one row of a weight in `format`. */
export function weightRowBytes(format: WeightFormat, cols: number): number {
	switch (format) {
		case 'f32':
			return cols * 4;
		case 'f16':
			return cols * 2;
		case 'q8':
			return (cols / QUANT_BLOCK) * Q8_BLOCK_WORDS * 4;
		case 'q4':
			return (cols / QUANT_BLOCK) * Q4_BLOCK_WORDS * 4;
	}
}

/** Host data of a weight: f32 values, f16 bits, or packed q8/q4 words (kernels/quant). */
export type WeightData = Float32Array | Uint16Array | Uint32Array;

/**
 * Uploads a [rows, cols] weight, split along rows so each part's binding is at most
 * `maxPartBytes` (default: the context's maxStorageBufferBindingSize), each part holding a
 * multiple of `rowMultiple` rows (default 1).
 */
export function uploadWeight(
	ctx: GpuContext,
	format: WeightFormat,
	data: WeightData,
	rows: number,
	cols: number,
	opts: { maxPartBytes?: number; label?: string; rowMultiple?: number } = {}
): Weight {
	if (format === 'q8' || format === 'q4') {
		check(cols % QUANT_BLOCK === 0, `uploadWeight(${format}): cols ${cols} must be a multiple of ${QUANT_BLOCK}`);
		check(data instanceof Uint32Array, `uploadWeight(${format}): expects packed Uint32Array data`);
	}
	const rowBytes = weightRowBytes(format, cols);
	const hostBytes = format === 'f16' && data instanceof Float32Array ? data.length * 2 : data.byteLength;
	check(hostBytes === rowBytes * rows, `uploadWeight(${format}): ${hostBytes} bytes for [${rows}, ${cols}], expected ${rowBytes * rows}`);
	const maxPart = Math.min(opts.maxPartBytes ?? Infinity, ctx.limits.maxStorageBufferBindingSize);
	// Keep part sizes a multiple of 4 bytes for f16 rows of odd length: an even row count.
	let rowsPerPart = Math.floor(maxPart / rowBytes);
	if (format === 'f16' && cols % 2 === 1) rowsPerPart -= rowsPerPart % 2;
	// Parts that must not split row groups (e.g. interleaved (gate, up) pairs: rowMultiple 2).
	const multiple = opts.rowMultiple ?? 1;
	if (multiple > 1) rowsPerPart -= rowsPerPart % multiple;
	if (rowsPerPart < 1) {
		throw new GpuError(
			'limit-exceeded',
			`uploadWeight: one row of ${rowBytes} bytes exceeds the binding limit of ${maxPart} bytes`
		);
	}
	const bytes =
		data instanceof Float32Array && format === 'f16'
			? new Uint8Array(toF16Array(data).buffer)
			: new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
	const parts: WeightPart[] = [];
	for (let r = 0; r < rows; r += rowsPerPart) {
		const n = Math.min(rowsPerPart, rows - r);
		const slice = bytes.subarray(r * rowBytes, (r + n) * rowBytes);
		parts.push({ buffer: uploadBuffer(ctx, slice, opts.label), rowStart: r, rows: n });
	}
	return { format, rows, cols, parts };
}

/** Releases a weight's buffers. */
export function destroyWeight(w: Weight): void {
	for (const p of w.parts) p.buffer.destroy();
}

/**
 * The same buffer seen with another shape of equal element count, e.g. q [T, H, D] as
 * [T·H, D] for Qwen3's per-head RMSNorm. No copy.
 */
export function view(t: DeviceTensor, shape: readonly number[]): DeviceTensor {
	check(numel(shape) === numel(t.shape), `view: [${t.shape}] has ${numel(t.shape)} elements, [${shape}] has ${numel(shape)}`);
	return { buffer: t.buffer, dtype: t.dtype, shape: [...shape] };
}
