/**
 * Records dispatches into one command encoder and one compute pass, then submits once.
 * Uniform parameters go into 256-byte slots (the usual minUniformBufferOffsetAlignment) of the
 * context's long-lived uniform chunks, bound at a dynamic offset, so a dispatch that binds the
 * same buffers as one in an earlier batch (the next decode step) reuses its bind group and
 * creates no GPU object (see ./bindings.ts).
 */
import type { GpuContext } from './context.js';
import { GpuError } from './errors.js';
import { createStorage, padTo4 } from './buffers.js';
import { PARAMS_SLOT, SLOTS_PER_CHUNK, type Binding } from './bindings.js';

export type { Binding } from './bindings.js';

const SLOT_WORDS = PARAMS_SLOT / 4;

/** Little builder for a uniform params struct of 4-byte fields. */
export class Params {
	private readonly words: number[] = [];
	private static readonly view = new DataView(new ArrayBuffer(4));
	u32(v: number): this {
		this.words.push(v >>> 0);
		return this;
	}
	i32(v: number): this {
		this.words.push(v | 0);
		return this;
	}
	f32(v: number): this {
		Params.view.setFloat32(0, v, true);
		this.words.push(Params.view.getUint32(0, true));
		return this;
	}
	/** Padded to 16 bytes, as WGSL uniform structs are. */
	data(): Uint32Array {
		const n = Math.max(4, Math.ceil(this.words.length / 4) * 4);
		const out = new Uint32Array(n);
		for (let i = 0; i < this.words.length; i++) out[i] = this.words[i];
		return out;
	}
}

export class Batch {
	readonly encoder: GPUCommandEncoder;
	private pass: GPUComputePassEncoder | null = null;
	private lastPipeline: GPUComputePipeline | null = null;
	/** Host copies of the uniform chunks this batch uses, by chunk index. */
	private readonly host: Uint32Array[] = [];
	private slots = 0;
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
		if (params.length > SLOT_WORDS) throw new GpuError('invalid-input', `params of ${params.byteLength} bytes exceed ${PARAMS_SLOT}`);
		if (this.submitted) throw new GpuError('invalid-input', 'Batch already submitted');
		const slot = this.slots++;
		const chunkIndex = Math.floor(slot / SLOTS_PER_CHUNK);
		const offset = (slot % SLOTS_PER_CHUNK) * PARAMS_SLOT;
		let host = this.host[chunkIndex];
		if (!host) {
			const bytes = this.ctx.bindings.takeHost();
			host = this.host[chunkIndex] = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
		}
		host.set(params, offset / 4);
		const info = this.ctx.pipelines.info(pipeline);
		if (!this.pass) {
			this.pass = this.encoder.beginComputePass();
			this.lastPipeline = null;
		}
		if (pipeline !== this.lastPipeline) {
			this.pass.setPipeline(pipeline);
			this.lastPipeline = pipeline;
		}
		if (info.dynamicParams) {
			this.pass.setBindGroup(0, this.ctx.bindings.group(info.layout, info.layoutId, chunkIndex, buffers), [offset]);
		} else {
			const entries: GPUBindGroupEntry[] = [
				{ binding: 0, resource: { buffer: this.ctx.bindings.chunk(chunkIndex), offset, size: params.byteLength } }
			];
			buffers.forEach((b, i) => entries.push({ binding: i + 1, resource: 'buffer' in b ? b : { buffer: b } }));
			this.pass.setBindGroup(0, this.ctx.device.createBindGroup({ layout: info.layout, entries }));
		}
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
		const b = this.ctx.bindings;
		this.host.forEach((h, i) => {
			const used = Math.min(this.slots - i * SLOTS_PER_CHUNK, SLOTS_PER_CHUNK) * PARAMS_SLOT;
			// Queue-ordered: after every earlier submit that read this chunk, before this one.
			q.writeBuffer(b.chunk(i), 0, h.buffer, h.byteOffset, used);
			b.giveHost(new Uint8Array(h.buffer, h.byteOffset, h.byteLength));
		});
		this.host.length = 0;
		q.submit([this.encoder.finish()]);
		this.ctx.stats.submits++;
		// Destroy is deferred by the implementation until the submitted work is done.
		for (const t of this.temps) t.destroy();
	}

	/** Drops everything recorded without submitting (benchmarks of the host-side cost). */
	discard(): void {
		if (this.submitted) throw new GpuError('invalid-input', 'Batch already submitted');
		this.submitted = true;
		this.endPass();
		this.encoder.finish();
		for (const h of this.host) this.ctx.bindings.giveHost(new Uint8Array(h.buffer, h.byteOffset, h.byteLength));
		this.host.length = 0;
		for (const t of this.temps) t.destroy();
	}

	/** A scratch storage buffer that lives until this batch is submitted (then destroyed). */
	temp(bytes: number, label?: string): GPUBuffer {
		const buf = createStorage(this.ctx, bytes, label);
		this.temps.push(buf);
		return buf;
	}

	/**
	 * A context-lifetime scratch range of `bytes` named `name`, for data one op produces and
	 * consumes within its own dispatches (e.g. attention's partial results): unlike
	 * {@link temp}, repeated steps reuse the buffer and its bind groups.
	 */
	scratch(name: string, bytes: number): Binding {
		const buffer = this.ctx.bindings.scratchBuffer(
			name,
			padTo4(bytes),
			(n) => createStorage(this.ctx, n, name),
			(old) => this.temps.push(old)
		);
		return { buffer, offset: 0, size: padTo4(bytes) };
	}

	private endPass(): void {
		if (this.pass) {
			this.pass.end();
			this.pass = null;
			this.lastPipeline = null;
		}
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
