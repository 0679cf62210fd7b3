/**
 * Records dispatches into one command encoder and one compute pass, then submits once.
 * Uniform parameters go into pooled 256-byte slots (the usual minUniformBufferOffsetAlignment)
 * of a few shared buffers instead of one buffer per dispatch.
 */
import type { GpuContext } from './context.js';
import { GpuError } from './errors.js';
import { createStorage } from './buffers.js';

const SLOT = 256;
const SLOTS_PER_CHUNK = 64;
const UNIFORM = 0x40;
const COPY_DST = 0x08;

/** Little builder for a uniform params struct of 4-byte fields. */
export class Params {
	private readonly words: number[] = [];
	private readonly view = new DataView(new ArrayBuffer(4));
	u32(v: number): this {
		this.words.push(v >>> 0);
		return this;
	}
	i32(v: number): this {
		this.words.push(v | 0);
		return this;
	}
	f32(v: number): this {
		this.view.setFloat32(0, v, true);
		this.words.push(this.view.getUint32(0, true));
		return this;
	}
	/** Padded to 16 bytes, as WGSL uniform structs are. */
	data(): Uint32Array {
		const n = Math.max(4, Math.ceil(this.words.length / 4) * 4);
		const out = new Uint32Array(n);
		this.words.forEach((w, i) => (out[i] = w >>> 0));
		return out;
	}
}

/** A buffer, or a byte range of one, to bind as a storage buffer. */
export type Binding = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

interface Chunk {
	buffer: GPUBuffer;
	data: Uint8Array;
	used: number;
}

export class Batch {
	readonly encoder: GPUCommandEncoder;
	private pass: GPUComputePassEncoder | null = null;
	private readonly chunks: Chunk[] = [];
	private readonly temps: GPUBuffer[] = [];
	private submitted = false;

	constructor(readonly ctx: GpuContext) {
		this.encoder = ctx.device.createCommandEncoder();
	}

	/**
	 * Records one dispatch. Binding 0 is the params uniform; `buffers` are bindings 1..n, in
	 * the order the WGSL declares them.
	 */
	dispatch(
		pipeline: GPUComputePipeline,
		params: Uint32Array,
		buffers: readonly Binding[],
		workgroups: readonly [number, number?, number?]
	): void {
		const [x, y = 1, z = 1] = workgroups;
		const maxDim = this.ctx.limits.maxComputeWorkgroupsPerDimension;
		if (x > maxDim || y > maxDim || z > maxDim) {
			throw new GpuError('limit-exceeded', `dispatch ${x}x${y}x${z} exceeds ${maxDim} workgroups per dimension`);
		}
		if (x === 0 || y === 0 || z === 0) return;
		const uniform = this.uniformSlot(params);
		const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: uniform }];
		buffers.forEach((b, i) => {
			entries.push({ binding: i + 1, resource: 'buffer' in b ? b : { buffer: b } });
		});
		const bindGroup = this.ctx.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
		if (!this.pass) this.pass = this.encoder.beginComputePass();
		this.pass.setPipeline(pipeline);
		this.pass.setBindGroup(0, bindGroup);
		this.pass.dispatchWorkgroups(x, y, z);
		this.ctx.stats.dispatches++;
	}

	/** Records a buffer-to-buffer copy (ends the current compute pass). */
	copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
		this.endPass();
		this.encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
	}

	/** Submits everything recorded. The batch cannot be reused. */
	submit(): void {
		if (this.submitted) throw new GpuError('invalid-input', 'Batch submitted twice');
		this.submitted = true;
		this.endPass();
		const q = this.ctx.device.queue;
		for (const c of this.chunks) q.writeBuffer(c.buffer, 0, c.data, 0, c.used);
		q.submit([this.encoder.finish()]);
		this.ctx.stats.submits++;
		// Destroy is deferred by the implementation until the submitted work is done.
		for (const c of this.chunks) c.buffer.destroy();
		for (const t of this.temps) t.destroy();
	}

	/** A scratch storage buffer that lives until this batch is submitted (then destroyed). */
	temp(bytes: number, label?: string): GPUBuffer {
		const buf = createStorage(this.ctx, bytes, label);
		this.temps.push(buf);
		return buf;
	}

	private endPass(): void {
		if (this.pass) {
			this.pass.end();
			this.pass = null;
		}
	}

	private uniformSlot(params: Uint32Array): GPUBufferBinding {
		let chunk = this.chunks[this.chunks.length - 1];
		if (!chunk || chunk.used + SLOT > chunk.data.byteLength) {
			chunk = {
				buffer: this.ctx.device.createBuffer({ size: SLOT * SLOTS_PER_CHUNK, usage: UNIFORM | COPY_DST }),
				data: new Uint8Array(SLOT * SLOTS_PER_CHUNK),
				used: 0
			};
			this.chunks.push(chunk);
		}
		const offset = chunk.used;
		chunk.data.set(new Uint8Array(params.buffer, params.byteOffset, params.byteLength), offset);
		chunk.used += SLOT;
		return { buffer: chunk.buffer, offset, size: params.byteLength };
	}
}

/** Runs `record` into `batch` if given (the caller submits), else into a new batch submitted here. */
export function withBatch(ctx: GpuContext, batch: Batch | undefined, record: (b: Batch) => void): void {
	if (batch) {
		record(batch);
		return;
	}
	const b = new Batch(ctx);
	record(b);
	b.submit();
}

/**
 * Spreads `n` workgroups over x and y so neither exceeds the per-dimension limit. Kernels
 * recover the linear id as `wid.x + wid.y * nwg.x` and return when it is >= n.
 */
export function grid(ctx: GpuContext, n: number): [number, number] {
	const max = ctx.limits.maxComputeWorkgroupsPerDimension;
	if (n <= max) return [n, 1];
	const y = Math.ceil(n / max);
	return [Math.ceil(n / y), y];
}
