/**
 * Per-context state that lets `Batch` record a dispatch without creating GPU objects:
 *
 * - uniform chunks: long-lived uniform buffers of 256-byte params slots. Every batch fills its
 *   slots from 0 in host memory and writes them with one `queue.writeBuffer` per chunk just
 *   before its submit; queue order keeps batches from seeing each other's params.
 * - bind groups keyed by (layout, uniform chunk, bound buffers): with the params uniform bound
 *   at a dynamic offset, the same dispatch in the next decode step finds its bind group here.
 */

export const PARAMS_SLOT = 256;
export const SLOTS_PER_CHUNK = 256;
const CHUNK_BYTES = PARAMS_SLOT * SLOTS_PER_CHUNK;
const UNIFORM = 0x40;
const COPY_DST = 0x08;
/** Cached bind groups before the cache is cleared (entries of destroyed buffers pile up). */
const MAX_BIND_GROUPS = 8192;

/** A buffer, or a byte range of one, to bind as a storage buffer. */
export type Binding = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

export class BindingCache {
	private readonly chunks: GPUBuffer[] = [];
	private readonly hostFree: Uint8Array[] = [];
	private readonly bufferIds = new WeakMap<GPUBuffer, number>();
	private nextBufferId = 1;
	private readonly groups = new Map<string, GPUBindGroup>();
	private readonly scratch = new Map<string, GPUBuffer>();
	/** Bind groups created (cache misses), for benchmarks. */
	created = 0;

	constructor(private readonly device: GPUDevice) {}

	/** The device buffer of uniform chunk `i`. */
	chunk(i: number): GPUBuffer {
		while (this.chunks.length <= i) {
			this.chunks.push(this.device.createBuffer({ size: CHUNK_BYTES, usage: UNIFORM | COPY_DST, label: `params-${this.chunks.length}` }));
		}
		return this.chunks[i];
	}

	/** Host staging for one chunk (zero-filled is not needed: only written slots are read). */
	takeHost(): Uint8Array {
		return this.hostFree.pop() ?? new Uint8Array(CHUNK_BYTES);
	}

	giveHost(a: Uint8Array): void {
		if (this.hostFree.length < 8) this.hostFree.push(a);
	}

	/** A small id per buffer object, for cache keys. */
	id(buffer: GPUBuffer): number {
		let id = this.bufferIds.get(buffer);
		if (id === undefined) {
			id = this.nextBufferId++;
			this.bufferIds.set(buffer, id);
		}
		return id;
	}

	/** The bind group of `layout` with chunk `chunkIndex` at binding 0 and `buffers` at 1..n. */
	group(layout: GPUBindGroupLayout, layoutId: number, chunkIndex: number, buffers: readonly Binding[]): GPUBindGroup {
		let key = `${layoutId}|${chunkIndex}`;
		for (const b of buffers) {
			key += 'buffer' in b ? `|${this.id(b.buffer)}@${b.offset ?? 0}+${b.size ?? ''}` : `|${this.id(b)}`;
		}
		let bg = this.groups.get(key);
		if (!bg) {
			const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.chunk(chunkIndex), offset: 0, size: PARAMS_SLOT } }];
			buffers.forEach((b, i) => entries.push({ binding: i + 1, resource: 'buffer' in b ? b : { buffer: b } }));
			bg = this.device.createBindGroup({ layout, entries });
			if (this.groups.size >= MAX_BIND_GROUPS) this.groups.clear();
			this.groups.set(key, bg);
			this.created++;
		}
		return bg;
	}

	/**
	 * The long-lived scratch buffer `name` with at least `bytes`, grown to a power of two when
	 * too small; the outgrown buffer is handed to `retire` (the caller destroys it after its
	 * submit). Reusing it across batches is safe (queue order); within a batch, only for data
	 * produced and consumed by one op (dispatches in a pass are ordered).
	 */
	scratchBuffer(name: string, bytes: number, create: (bytes: number) => GPUBuffer, retire: (old: GPUBuffer) => void): GPUBuffer {
		let buf = this.scratch.get(name);
		if (!buf || buf.size < bytes) {
			if (buf) retire(buf);
			buf = create(2 ** Math.ceil(Math.log2(Math.max(bytes, 256))));
			this.scratch.set(name, buf);
		}
		return buf;
	}

	get cachedGroups(): number {
		return this.groups.size;
	}

	destroy(): void {
		for (const c of this.chunks) c.destroy();
		this.chunks.length = 0;
		for (const b of this.scratch.values()) b.destroy();
		this.scratch.clear();
		this.groups.clear();
	}
}
