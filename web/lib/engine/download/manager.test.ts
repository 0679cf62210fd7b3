import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModelEntry } from '../catalogue';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { CHUNK_BYTES, DownloadError, RateMeter, downloadModel, readManifest, sha256Hex, type DownloadNote, type DownloadProgress } from './manager';
import { storedModel } from './source';
import { MemoryStore } from './store';
import { startModelServer, type ModelServer } from './test-model-server';

/** Deterministic bytes (xorshift), so every run fetches the same files. */
function bytes(n: number, seed: number): Uint8Array {
	const out = new Uint8Array(n);
	let x = seed >>> 0 || 1;
	for (let i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >>> 17;
		x ^= x << 5;
		out[i] = x & 0xff;
	}
	return out;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
// Larger than two store chunks, so a file is committed in several pieces.
const big = bytes(2 * CHUNK_BYTES + 12345, 7);
const small = new TextEncoder().encode(JSON.stringify({ hidden_size: 64 }));
const files = new Map([
	['config.json', small],
	['weights/model.bin', big]
]);

/** A memory store that records every read back of a file (path and bytes), to count re-reads. */
class CountingStore extends MemoryStore {
	reads: { path: string; bytes: number }[] = [];
	override async read(model: string, path: string): Promise<Blob> {
		const blob = await super.read(model, path);
		this.reads.push({ path, bytes: blob.size });
		return blob;
	}
}

let server: ModelServer;
let store: CountingStore;
let entry: ModelEntry;

beforeEach(async () => {
	server = await startModelServer(files);
	store = new CountingStore();
	entry = {
		id: 'test-model',
		name: 'Test model',
		engine: 'oasis',
		description: '',
		license: 'MIT',
		sizeBytes: small.byteLength + big.byteLength,
		memoryBytes: 1 << 20,
		bundled: false,
		maxSeq: 128,
		requires: { webgpu: true, shaderF16: false },
		url: server.url,
		files: [...files].map(([path, b]) => ({ path, size: b.byteLength, sha256: sha(b) }))
	};
});
afterEach(() => server.close());

const getsOf = (path: string) => server.requests.filter((r) => r.method === 'GET' && r.path === path);
async function storedEqual(path: string) {
	return Buffer.from(await (await store.read(entry.id, path)).arrayBuffer()).equals(Buffer.from(files.get(path)!));
}

describe('downloadModel', () => {
	it('fetches every file, reports rising progress up to the total and marks the model complete', async () => {
		const progress: DownloadProgress[] = [];
		const manifest = await downloadModel(entry, { store, fetch, onProgress: (p) => progress.push(p) });
		expect(manifest.complete).toBe(true);
		expect(manifest.verified.sort()).toEqual(['config.json', 'weights/model.bin']);
		expect(await storedEqual('config.json')).toBe(true);
		expect(await storedEqual('weights/model.bin')).toBe(true);
		const downloading = progress.filter((p) => p.phase === 'downloading').map((p) => p.bytes);
		expect(downloading.length).toBeGreaterThan(2);
		expect(downloading).toEqual([...downloading].sort((a, b) => a - b));
		expect(progress.at(-1)!.bytes).toBe(entry.sizeBytes);
		expect(progress.every((p) => p.total === entry.sizeBytes && p.fileCount === 2)).toBe(true);
		expect((await readManifest(store, entry.id))?.complete).toBe(true);
	});

	it('keeps the bytes of a dropped connection and resumes with a Range request from them', async () => {
		const cut = CHUNK_BYTES + 1000;
		server.cutOnce('weights/model.bin', cut);
		const err = await downloadModel(entry, { store, fetch }).catch((e) => e);
		expect(err).toBeInstanceOf(DownloadError);
		expect(err.code).toBe('network');
		expect(err.message).toMatch(/Press Resume/);
		expect(await store.stored(entry.id, 'weights/model.bin')).toBe(cut);
		expect((await readManifest(store, entry.id))?.complete).toBe(false);

		const notes: DownloadNote[] = [];
		await downloadModel(entry, { store, fetch, onNote: (n) => notes.push(n) });
		const gets = getsOf('weights/model.bin');
		expect(gets.map((g) => g.range)).toEqual([null, `bytes=${cut}-`]);
		expect(getsOf('config.json')).toHaveLength(1); // verified the first time: not fetched again
		expect(notes.map((n) => n.kind)).toEqual(['resume']);
		expect(await storedEqual('weights/model.bin')).toBe(true);
	});

	it('discards a file that fails its SHA-256 check and fetches it again', async () => {
		server.corruptOnce('weights/model.bin', 5000);
		const notes: DownloadNote[] = [];
		const manifest = await downloadModel(entry, { store, fetch, onNote: (n) => notes.push(n) });
		expect(manifest.complete).toBe(true);
		expect(notes).toEqual([expect.objectContaining({ kind: 'refetch', file: 'weights/model.bin' })]);
		expect(getsOf('weights/model.bin').map((g) => g.range)).toEqual([null, null]);
		expect(await storedEqual('weights/model.bin')).toBe(true);
	});

	it('gives up on a file that is wrong twice, leaving nothing of it', async () => {
		entry.files![1] = { ...entry.files![1], sha256: 'a'.repeat(64) };
		const err = await downloadModel(entry, { store, fetch }).catch((e) => e);
		expect(err.code).toBe('corrupt');
		expect(err.message).toMatch(/failed its SHA-256 check twice/);
		expect(await store.stored(entry.id, 'weights/model.bin')).toBe(0);
		expect(await storedModel(entry.id, store)).toBeNull();
	});

	it('detects a stored file damaged after download on the next run (it is hashed again when not yet verified)', async () => {
		server.cutOnce('weights/model.bin', CHUNK_BYTES + 10);
		await downloadModel(entry, { store, fetch }).catch(() => undefined);
		store.corrupt(entry.id, 'weights/model.bin', 3); // damage the kept part
		const notes: DownloadNote[] = [];
		await downloadModel(entry, { store, fetch, onNote: (n) => notes.push(n) });
		expect(notes.map((n) => n.kind)).toEqual(['resume', 'refetch']);
		expect(await storedEqual('weights/model.bin')).toBe(true);
	});

	it('fetches again a verified file whose hash changed in the catalogue, and nothing else', async () => {
		await downloadModel(entry, { store, fetch });
		const changed = new Uint8Array(small);
		changed[2] ^= 1;
		files.set('config.json', changed);
		try {
			entry.files![0] = { ...entry.files![0], sha256: sha(changed) };
			await downloadModel(entry, { store, fetch });
			expect(getsOf('config.json')).toHaveLength(2);
			expect(getsOf('weights/model.bin')).toHaveLength(1);
		} finally {
			files.set('config.json', small);
		}
	});

	it('stops on abort with the bytes kept, and refuses a model that cannot fit', async () => {
		const ctl = new AbortController();
		const err = await downloadModel(entry, {
			store,
			fetch,
			signal: ctl.signal,
			onProgress: (p) => p.file === 'weights/model.bin' && p.bytes > CHUNK_BYTES && ctl.abort()
		}).catch((e) => e);
		expect(err.code).toBe('aborted');
		expect(await store.stored(entry.id, 'weights/model.bin')).toBeGreaterThan(CHUNK_BYTES - 1);

		const other = new MemoryStore();
		const full = await downloadModel(entry, { store: other, fetch, freeBytes: 1000 }).catch((e) => e);
		expect(full.code).toBe('quota');
		expect(full.message).toMatch(/needs .* more storage, but only 1000 B is free/);
	});

	it('restarts a file when the server ignores Range, and says so for a server error', async () => {
		await store.append(entry.id, 'weights/model.bin', big.subarray(0, 100));
		const noRange: typeof fetch = (input, init) => fetch(input, { ...init, headers: {} });
		await downloadModel(entry, { store, fetch: noRange });
		expect(await storedEqual('weights/model.bin')).toBe(true);

		const missing = { ...entry, id: 'missing', files: [{ path: 'nope.bin', size: 3, sha256: 'b'.repeat(64) }] };
		const err = await downloadModel(missing, { store, fetch }).catch((e) => e);
		expect(err.code).toBe('http');
		expect(err.message).toMatch(/answered 404/);
	});
});

describe('incremental SHA-256', () => {
	it('over pieces that cross chunk boundaries equals the one-shot hash', async () => {
		const want = sha(big);
		// Pieces of awkward sizes (1 byte, odd, > one 64-byte block, > one store chunk).
		const cuts = [1, 63, 64, 65, 4095, 70_000, CHUNK_BYTES + 3, big.byteLength];
		const h = sha256.create();
		let at = 0;
		for (const c of cuts) {
			h.update(big.subarray(at, c));
			at = c;
		}
		expect(bytesToHex(h.digest())).toBe(want);
		// A blob of unevenly sized parts, read back a store chunk at a time.
		const blob = new Blob([big.slice(0, 1000), big.slice(1000, CHUNK_BYTES + 7), big.slice(CHUNK_BYTES + 7)]);
		expect(await sha256Hex(blob)).toBe(want);
		expect(await sha256Hex(new Blob([]))).toBe(sha(new Uint8Array(0)));
	});

	it('hashes a download as it arrives: no file is read back, even when it is fetched in 64 KiB pieces', async () => {
		server.setPace(1);
		const manifest = await downloadModel(entry, { store, fetch });
		expect(manifest.complete).toBe(true);
		expect(store.reads).toEqual([]);
		expect(await storedEqual('weights/model.bin')).toBe(true);
	});

	it('on resume re-hashes the kept prefix once, then only the new bytes', async () => {
		const cut = CHUNK_BYTES + 1000;
		server.cutOnce('weights/model.bin', cut);
		await downloadModel(entry, { store, fetch }).catch(() => undefined);
		const kept = await store.stored(entry.id, 'weights/model.bin');
		expect(kept).toBeGreaterThan(0);
		expect(store.reads).toEqual([]);
		const phases: DownloadProgress['phase'][] = [];
		const manifest = await downloadModel(entry, { store, fetch, onProgress: (p) => p.file === 'weights/model.bin' && phases.push(p.phase) });
		expect(manifest.verified).toContain('weights/model.bin');
		// One read of exactly the kept prefix (shown as "checking"), none after the download.
		expect(store.reads).toEqual([{ path: 'weights/model.bin', bytes: kept }]);
		expect(phases[0]).toBe('verifying');
		expect(phases.slice(1, -1).every((p) => p === 'downloading')).toBe(true);
		expect(getsOf('weights/model.bin').at(-1)!.range).toBe(`bytes=${kept}-`);
	});

	it('detects a corrupted file at its last byte, without reading it back, and fetches it again', async () => {
		server.corruptOnce('weights/model.bin', 2 * CHUNK_BYTES + 5); // in the last, partial chunk
		const notes: DownloadNote[] = [];
		await downloadModel(entry, { store, fetch, onNote: (n) => notes.push(n) });
		expect(notes.map((n) => [n.kind, n.file])).toEqual([['refetch', 'weights/model.bin']]);
		expect(store.reads).toEqual([]);
		expect(await storedEqual('weights/model.bin')).toBe(true);
	});
});

describe('storedModel', () => {
	it('offers a complete download as a model source that reads ranges from the store', async () => {
		expect(await storedModel(entry.id, store)).toBeNull();
		await downloadModel(entry, { store, fetch });
		const stored = (await storedModel(entry.id, store))!;
		expect(stored.manifest.entry.name).toBe('Test model');
		expect(await stored.source.size('weights/model.bin')).toBe(big.byteLength);
		const at = CHUNK_BYTES - 10; // across two stored chunks
		expect(await stored.source.readRange('weights/model.bin', at, at + 20)).toEqual(big.subarray(at, at + 20));
		expect(await stored.source.readJson('config.json')).toEqual({ hidden_size: 64 });
		await store.remove(entry.id);
		expect(await storedModel(entry.id, store)).toBeNull();
	});
});

describe('RateMeter', () => {
	it('measures speed over its window and the time left at that speed', () => {
		const m = new RateMeter(2000);
		m.add(0, 0);
		expect(m.speed()).toBe(0);
		expect(m.eta(100)).toBeNull();
		m.add(1000, 1000);
		expect(m.speed()).toBe(1000);
		expect(m.eta(5000)).toBe(5);
		// The window slides (the oldest sample kept is the last one ≥ 2 s old), so a slowdown shows.
		m.add(3000, 1200);
		m.add(4000, 1300);
		expect(m.speed()).toBeCloseTo(100, 5); // (1300 - 1000) bytes over the 3 s since t = 1000
	});
});

describe('storedCache', () => {
	it('answers the files of a complete download by URL, and nothing else', async () => {
		const { storedCache } = await import('./cache');
		expect(await storedCache(store, entry.id)).toBeNull();
		await downloadModel(entry, { store, fetch });
		const cache = (await storedCache(store, entry.id))!;
		const hit = (await cache.match(`${server.url}weights/model.bin`))!;
		expect(hit.headers.get('content-length')).toBe(String(big.byteLength));
		expect(Buffer.from(await hit.arrayBuffer()).equals(Buffer.from(big))).toBe(true);
		expect(await (await cache.match(new Request(`${server.url}config.json`)))!.json()).toEqual({ hidden_size: 64 });
		expect(await cache.match(`${server.url}other.bin`)).toBeUndefined();
		expect(await cache.match('https://elsewhere.example/config.json')).toBeUndefined();
	});
});
