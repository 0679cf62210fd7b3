/**
 * Buffer helpers: create, upload, read back. Sizes are padded to 4 bytes because WebGPU
 * copies and storage bindings work in 4-byte units (an f16 tensor of odd length still fits).
 */
import type { GpuContext } from './context.js';
import { f16BitsToF32 } from './f16.js';
import { GpuError } from './errors.js';

/**
 * Usage of every storage buffer we make: bindable, and a source/target of copies.
 * Spec values of GPUBufferUsage, spelled out so this module loads before Node's globals exist.
 */
export const STORAGE_USAGE = 0x80 | 0x04 | 0x08;

const MAP_READ = 0x01;
const COPY_DST = 0x08;

/** Rounds `bytes` up to a multiple of 4 (minimum 4). */
export function padTo4(bytes: number): number {
	return Math.max(4, Math.ceil(bytes / 4) * 4);
}

/** An uninitialised (zeroed) storage buffer of at least `bytes`. */
export function createStorage(ctx: GpuContext, bytes: number, label?: string): GPUBuffer {
	const size = padTo4(bytes);
	if (size > ctx.limits.maxBufferSize) {
		throw new GpuError(
			'limit-exceeded',
			`${label ?? 'buffer'}: ${size} bytes exceed maxBufferSize (${ctx.limits.maxBufferSize}).`
		);
	}
	return ctx.device.createBuffer({ size, usage: STORAGE_USAGE, label });
}

/** Uploads typed-array data into a new storage buffer. */
export function uploadBuffer(
	ctx: GpuContext,
	data: Float32Array | Uint32Array | Int32Array | Uint16Array | Uint8Array,
	label?: string
): GPUBuffer {
	const buf = ctx.device.createBuffer({
		size: padTo4(data.byteLength),
		usage: STORAGE_USAGE,
		mappedAtCreation: true,
		label
	});
	new Uint8Array(buf.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
	buf.unmap();
	return buf;
}

/** Overwrites part of a buffer (queue-ordered before later submits). */
export function writeBuffer(
	ctx: GpuContext,
	buffer: GPUBuffer,
	data: Float32Array | Uint32Array | Uint16Array,
	byteOffset = 0
): void {
	// writeBuffer needs a 4-byte multiple; pad f16 data of odd length.
	let bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
	if (bytes.byteLength % 4 !== 0) {
		const padded = new Uint8Array(padTo4(bytes.byteLength));
		padded.set(bytes);
		bytes = padded;
	}
	ctx.device.queue.writeBuffer(buffer, byteOffset, bytes);
}

/** Copies `bytes` from `buffer` (at `byteOffset`) back to the host. */
export async function readBytes(
	ctx: GpuContext,
	buffer: GPUBuffer,
	bytes: number = buffer.size,
	byteOffset = 0
): Promise<ArrayBuffer> {
	const size = padTo4(bytes);
	const staging = ctx.device.createBuffer({ size, usage: MAP_READ | COPY_DST });
	const enc = ctx.device.createCommandEncoder();
	enc.copyBufferToBuffer(buffer, byteOffset, staging, 0, size);
	ctx.device.queue.submit([enc.finish()]);
	await staging.mapAsync(MAP_READ);
	const out = staging.getMappedRange().slice(0, bytes);
	staging.unmap();
	staging.destroy();
	ctx.throwIfErrors();
	return out;
}

/** Reads `count` f32 values. */
export async function readF32(ctx: GpuContext, buffer: GPUBuffer, count: number, offset = 0): Promise<Float32Array> {
	return new Float32Array(await readBytes(ctx, buffer, count * 4, offset * 4));
}

/** Reads `count` u32 values. */
export async function readU32(ctx: GpuContext, buffer: GPUBuffer, count: number, offset = 0): Promise<Uint32Array> {
	return new Uint32Array(await readBytes(ctx, buffer, count * 4, offset * 4));
}

/** Reads `count` f16 values, decoded to f32. */
export async function readF16(ctx: GpuContext, buffer: GPUBuffer, count: number): Promise<Float32Array> {
	const bits = new Uint16Array(await readBytes(ctx, buffer, padTo4(count * 2)), 0, count);
	return Float32Array.from(bits, f16BitsToF32);
}
