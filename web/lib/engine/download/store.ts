/**
 * Where downloaded model files live: the Origin Private File System (OPFS), one folder per model,
 * one folder per file holding numbered chunk files. A chunk is written whole with
 * `createWritable()` and committed by `close()`, so what a dropped connection or a reload leaves
 * behind is always a run of complete chunks: the bytes kept are the sum of their sizes, and a
 * download resumes with an HTTP Range request from there. (One growing file would need
 * `createWritable({keepExistingData: true})`, which copies the whole file into a swap file on
 * every commit; sync access handles exist only in workers.) A stored file is read back as a Blob
 * made of its chunks' Files: lazy, disk-backed, sliced for range reads without loading it whole.
 */

/** What the download manager needs of a store. Paths are the model's file paths ('a/b.json'). */
export interface ModelStore {
	/** Bytes of `path` kept so far. */
	stored(model: string, path: string): Promise<number>;
	/** Appends `bytes` to `path` as one chunk, committed as a whole. */
	append(model: string, path: string, bytes: Uint8Array): Promise<void>;
	/** The bytes kept of `path` as one Blob (empty when none). */
	read(model: string, path: string): Promise<Blob>;
	/** Forgets every byte of `path`. */
	discard(model: string, path: string): Promise<void>;
	/** The model's manifest (JSON), or null. */
	readManifest(model: string): Promise<unknown>;
	writeManifest(model: string, manifest: unknown): Promise<void>;
	/** Deletes the model: its files and manifest. */
	remove(model: string): Promise<void>;
	/** Ids of the models with a folder in the store. */
	models(): Promise<string[]>;
}

export const STORE_DIR = 'oasis-models';
const MANIFEST = 'manifest.json';

const enc = (s: string) => encodeURIComponent(s);
const isNotFound = (e: unknown) => (e as { name?: string } | null)?.name === 'NotFoundError';

/** The OPFS-backed store; null where the browser has no OPFS (e.g. some private modes). */
export async function openOpfsStore(): Promise<ModelStore | null> {
	try {
		const root = await globalThis.navigator?.storage?.getDirectory?.();
		if (!root) return null;
		return new OpfsStore(await root.getDirectoryHandle(STORE_DIR, { create: true }));
	} catch {
		return null;
	}
}

class OpfsStore implements ModelStore {
	constructor(private readonly root: FileSystemDirectoryHandle) {}

	private async modelDir(model: string, create: boolean): Promise<FileSystemDirectoryHandle | null> {
		try {
			return await this.root.getDirectoryHandle(enc(model), { create });
		} catch (e) {
			if (isNotFound(e)) return null;
			throw e;
		}
	}

	private async fileDir(model: string, path: string, create: boolean): Promise<FileSystemDirectoryHandle | null> {
		const dir = await this.modelDir(model, create);
		if (!dir) return null;
		try {
			return await dir.getDirectoryHandle(enc(path), { create });
		} catch (e) {
			if (isNotFound(e)) return null;
			throw e;
		}
	}

	/** The file's chunks in order. */
	private async chunks(model: string, path: string): Promise<File[]> {
		const dir = await this.fileDir(model, path, false);
		if (!dir) return [];
		const names: string[] = [];
		for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) if (/^\d{6}\.part$/.test(name)) names.push(name);
		names.sort();
		return Promise.all(names.map(async (n) => (await dir.getFileHandle(n)).getFile()));
	}

	async stored(model: string, path: string): Promise<number> {
		return (await this.chunks(model, path)).reduce((n, f) => n + f.size, 0);
	}

	async append(model: string, path: string, bytes: Uint8Array): Promise<void> {
		if (bytes.byteLength === 0) return;
		const dir = (await this.fileDir(model, path, true))!;
		const next = (await this.chunks(model, path)).length;
		// createWritable() writes to a swap file that close() commits atomically.
		const handle = await dir.getFileHandle(`${String(next).padStart(6, '0')}.part`, { create: true });
		const w = await handle.createWritable();
		try {
			await w.write(bytes as Uint8Array<ArrayBuffer>);
			await w.close();
		} catch (e) {
			await w.abort().catch(() => undefined);
			await dir.removeEntry(handle.name).catch(() => undefined);
			throw e;
		}
	}

	async read(model: string, path: string): Promise<Blob> {
		return new Blob(await this.chunks(model, path));
	}

	async discard(model: string, path: string): Promise<void> {
		const dir = await this.modelDir(model, false);
		await dir?.removeEntry(enc(path), { recursive: true }).catch((e) => {
			if (!isNotFound(e)) throw e;
		});
	}

	async readManifest(model: string): Promise<unknown> {
		const dir = await this.modelDir(model, false);
		if (!dir) return null;
		try {
			return JSON.parse(await (await (await dir.getFileHandle(MANIFEST)).getFile()).text());
		} catch {
			return null;
		}
	}

	async writeManifest(model: string, manifest: unknown): Promise<void> {
		const dir = (await this.modelDir(model, true))!;
		const w = await (await dir.getFileHandle(MANIFEST, { create: true })).createWritable();
		await w.write(JSON.stringify(manifest));
		await w.close();
	}

	async remove(model: string): Promise<void> {
		await this.root.removeEntry(enc(model), { recursive: true }).catch((e) => {
			if (!isNotFound(e)) throw e;
		});
	}

	async models(): Promise<string[]> {
		const out: string[] = [];
		for await (const [name, h] of (this.root as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
			if (h.kind === 'directory') out.push(decodeURIComponent(name));
		}
		return out;
	}
}

/**
 * The same store in memory: for environments with no OPFS (Node, where the unit tests run). Its
 * chunks behave as OPFS's do: each append is kept whole or not at all.
 */
export class MemoryStore implements ModelStore {
	private readonly files = new Map<string, Map<string, Uint8Array[]>>();
	private readonly manifests = new Map<string, string>();

	private model(model: string, create: boolean) {
		let m = this.files.get(model);
		if (!m && create) this.files.set(model, (m = new Map()));
		return m;
	}

	async stored(model: string, path: string): Promise<number> {
		return (this.model(model, false)?.get(path) ?? []).reduce((n, c) => n + c.byteLength, 0);
	}

	async append(model: string, path: string, bytes: Uint8Array): Promise<void> {
		if (bytes.byteLength === 0) return;
		const m = this.model(model, true)!;
		m.set(path, [...(m.get(path) ?? []), bytes.slice()]);
	}

	async read(model: string, path: string): Promise<Blob> {
		return new Blob((this.model(model, false)?.get(path) ?? []) as Uint8Array<ArrayBuffer>[]);
	}

	async discard(model: string, path: string): Promise<void> {
		this.model(model, false)?.delete(path);
	}

	async readManifest(model: string): Promise<unknown> {
		const s = this.manifests.get(model);
		return s === undefined ? null : JSON.parse(s);
	}

	async writeManifest(model: string, manifest: unknown): Promise<void> {
		this.model(model, true);
		this.manifests.set(model, JSON.stringify(manifest));
	}

	async remove(model: string): Promise<void> {
		this.files.delete(model);
		this.manifests.delete(model);
	}

	async models(): Promise<string[]> {
		return [...this.files.keys()];
	}

	/** Flips one stored byte (tests: a file damaged on disk). */
	corrupt(model: string, path: string, offset: number): void {
		const chunks = this.model(model, false)?.get(path) ?? [];
		let o = offset;
		for (const c of chunks) {
			if (o < c.byteLength) {
				c[o] ^= 0xff;
				return;
			}
			o -= c.byteLength;
		}
		throw new RangeError(`${path} has no byte ${offset}`);
	}
}
