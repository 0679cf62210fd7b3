/**
 * Downloads the files of an oasis/transformers model into a {@link ModelStore}: streamed, with
 * progress (bytes, speed, time left), resumed with an HTTP Range request from the bytes already
 * kept (after a dropped connection or a reload), and each file checked against its SHA-256. A
 * file that fails its check is discarded and fetched once more; failing twice is an error.
 *
 * Hashing is incremental (@noble/hashes' streaming SHA-256; WebCrypto has no streaming digest):
 * each piece is hashed as it arrives, so a file is checked the moment its last byte is in, with
 * no second read of a multi-GB file and a few KB of hasher state instead of the file in memory. A
 * hasher's state cannot be saved, so a resumed file first re-hashes its kept prefix once, a store
 * chunk at a time, then goes on with the new bytes; a prefix damaged on disk shows up then as a
 * mismatch, and the file is fetched again.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { z } from 'zod';
import type { ModelEntry, ModelFile } from '../catalogue';
import { t } from '../../i18n/catalogue/engine';
import { formatBytes } from '../capabilities';
import type { ModelStore } from './store';

/** Bytes buffered in memory before they are committed to the store as one chunk. */
export const CHUNK_BYTES = 4 << 20;

export type DownloadErrorCode = 'network' | 'http' | 'corrupt' | 'quota' | 'aborted' | 'bad-entry';

/** A download that stopped; `message` says what to do (in the interface language). Bytes already kept stay for a resume. */
export class DownloadError extends Error {
	override name = 'DownloadError';
	constructor(
		readonly code: DownloadErrorCode,
		message: string
	) {
		super(message);
	}
}

export interface DownloadProgress {
	modelId: string;
	/** The file being fetched or checked. */
	file: string;
	fileIndex: number;
	fileCount: number;
	phase: 'downloading' | 'verifying';
	/** Bytes of all files kept so far, and their total. */
	bytes: number;
	total: number;
	/** Bytes per second over the last few seconds (0 until measured). */
	speed: number;
	/** Seconds left at that speed (null until measured). */
	etaSeconds: number | null;
}

/** A note for people while the download goes on (a file re-fetched after failing its check). */
export type DownloadNote = { kind: 'refetch'; file: string; message: string } | { kind: 'resume'; file: string; message: string };

/** What the store keeps about a model next to its files. */
export const storedManifestSchema = z.object({
	version: z.literal(1),
	id: z.string().min(1),
	/** The catalogue entry the files were fetched for (so the engine can load it offline). */
	entry: z
		.object({
			id: z.string(),
			name: z.string(),
			engine: z.enum(['oasis', 'transformers', 'webllm']),
			url: z.string(),
			maxSeq: z.number().int().positive(),
			files: z.array(z.object({ path: z.string().min(1), size: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) })),
			/** The GGUF file among `files` to open (a model from this device); absent for a Hugging Face folder. */
			gguf: z.string().min(1).optional()
		})
		.passthrough(),
	/** Paths whose SHA-256 matched. */
	verified: z.array(z.string()),
	complete: z.boolean()
});
export type StoredManifest = z.infer<typeof storedManifestSchema>;

export async function readManifest(store: ModelStore, modelId: string): Promise<StoredManifest | null> {
	const r = storedManifestSchema.safeParse(await store.readManifest(modelId));
	return r.success ? r.data : null;
}

/** Speed over a sliding window of (time, bytes) samples; the clock is the caller's (ms). */
export class RateMeter {
	private samples: { t: number; bytes: number }[] = [];
	constructor(private readonly windowMs = 5000) {}

	/** Records that `bytes` (a running total) were reached at time `t`. */
	add(t: number, bytes: number): void {
		this.samples.push({ t, bytes });
		while (this.samples.length > 2 && t - this.samples[1].t >= this.windowMs) this.samples.shift();
	}

	/** Bytes per second, or 0 before half a second of samples. */
	speed(): number {
		const a = this.samples[0];
		const b = this.samples.at(-1);
		if (!a || !b || b.t - a.t < 500) return 0;
		return ((b.bytes - a.bytes) * 1000) / (b.t - a.t);
	}

	/** Seconds to fetch `remaining` bytes at the current speed, or null before it is known. */
	eta(remaining: number): number | null {
		const s = this.speed();
		return s > 0 ? remaining / s : null;
	}
}

/** A running SHA-256 (noble's): `update` with each piece, `digest` once at the end. */
export type Sha256Hasher = ReturnType<typeof sha256.create>;

/** Feeds `blob` to `hasher` one store chunk at a time (never the whole blob in memory); `onChunk` hears each chunk's size. */
export async function hashBlobInto(hasher: Sha256Hasher, blob: Blob, onChunk?: (bytes: number) => void): Promise<Sha256Hasher> {
	for (let o = 0; o < blob.size; o += CHUNK_BYTES) {
		const chunk = new Uint8Array(await blob.slice(o, o + CHUNK_BYTES).arrayBuffer());
		hasher.update(chunk);
		onChunk?.(chunk.byteLength);
	}
	return hasher;
}

/** Lower-case hex SHA-256 of a blob, read a store chunk at a time (`onChunk`: as {@link hashBlobInto}). */
export async function sha256Hex(blob: Blob, onChunk?: (bytes: number) => void): Promise<string> {
	return bytesToHex((await hashBlobInto(sha256.create(), blob, onChunk)).digest());
}

export interface DownloadOptions {
	store: ModelStore;
	fetch?: typeof fetch;
	signal?: AbortSignal;
	onProgress?: (p: DownloadProgress) => void;
	onNote?: (n: DownloadNote) => void;
	/** Clock in ms (tests pass their own). */
	now?: () => number;
	/** Free storage in bytes, if known: a download that cannot fit is refused before it starts. */
	freeBytes?: number;
}

/** The entry's files and URL, or a bad-entry error. */
function filesOf(entry: ModelEntry): { url: string; files: ModelFile[] } {
	if (!entry.url || !entry.files?.length) throw new DownloadError('bad-entry', t('dlNoFiles', { name: entry.name }));
	return { url: entry.url, files: entry.files };
}

const isAbort = (e: unknown, signal?: AbortSignal) => signal?.aborted || (e as { name?: string } | null)?.name === 'AbortError';

/** Bytes of the model kept in the store (verified or not), for the "x of y" display. */
export async function storedBytes(store: ModelStore, entry: ModelEntry): Promise<number> {
	let n = 0;
	for (const f of entry.files ?? []) n += Math.min(f.size, await store.stored(entry.id, f.path));
	return n;
}

/**
 * Fetches every file of `entry` that is not yet verified, resuming partial ones, and marks the
 * model complete. Resolves with the manifest; rejects with a {@link DownloadError}.
 */
export async function downloadModel(entry: ModelEntry, options: DownloadOptions): Promise<StoredManifest> {
	const { store, signal } = options;
	const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
	const now = options.now ?? (() => performance.now());
	const { url, files } = filesOf(entry);
	const prior = await readManifest(store, entry.id);
	const manifest: StoredManifest = {
		version: 1,
		id: entry.id,
		entry: { ...entry, url: new URL(url, globalThis.location?.href).href, files } as StoredManifest['entry'],
		// A verified file whose hash or size changed in the catalogue is fetched again.
		verified: (prior?.verified ?? []).filter((p) => {
			const was = prior!.entry.files.find((f) => f.path === p);
			const is = files.find((f) => f.path === p);
			return was && is && was.sha256 === is.sha256 && was.size === is.size;
		}),
		complete: false
	};
	const total = files.reduce((n, f) => n + f.size, 0);
	const kept = new Map<string, number>();
	for (const f of files) {
		let have = await store.stored(entry.id, f.path);
		if (have > f.size || (manifest.verified.includes(f.path) && have !== f.size)) {
			await store.discard(entry.id, f.path);
			manifest.verified = manifest.verified.filter((p) => p !== f.path);
			have = 0;
		}
		kept.set(f.path, have);
	}
	const sum = () => [...kept.values()].reduce((a, b) => a + b, 0);
	if (options.freeBytes !== undefined && total - sum() > options.freeBytes) {
		throw new DownloadError('quota', t('dlQuota', { name: entry.name, needed: formatBytes(total - sum()), free: formatBytes(options.freeBytes) }));
	}
	await store.writeManifest(entry.id, manifest);

	const meter = new RateMeter();
	meter.add(now(), sum());
	const report = (file: string, fileIndex: number, phase: DownloadProgress['phase']) => {
		const bytes = sum();
		options.onProgress?.({ modelId: entry.id, file, fileIndex, fileCount: files.length, phase, bytes, total, speed: meter.speed(), etaSeconds: meter.eta(total - bytes) });
	};

	for (const [i, f] of files.entries()) {
		if (manifest.verified.includes(f.path)) continue;
		for (let attempt = 1; ; attempt++) {
			// The SHA-256 of the kept bytes, computed as they arrived: no second read of the file.
			const hash = await fetchFile(entry, url, f, i);
			if (hash === f.sha256) break;
			await store.discard(entry.id, f.path);
			kept.set(f.path, 0);
			if (attempt >= 2) {
				throw new DownloadError('corrupt', t('dlCorrupt', { file: f.path, name: entry.name }));
			}
			options.onNote?.({ kind: 'refetch', file: f.path, message: t('dlRefetch', { file: f.path }) });
		}
		manifest.verified.push(f.path);
		await store.writeManifest(entry.id, manifest);
	}
	manifest.complete = true;
	await store.writeManifest(entry.id, manifest);
	report(files.at(-1)!.path, files.length - 1, 'verifying');
	return manifest;

	/** Fetches the rest of `f` and resolves with the SHA-256 (hex) of all its kept bytes. */
	async function fetchFile(entry: ModelEntry, base: string, f: ModelFile, index: number): Promise<string> {
		let have = kept.get(f.path)!;
		let hasher = sha256.create();
		if (have > 0) {
			// A hasher's state is not kept across runs: the kept prefix is hashed again, once.
			report(f.path, index, 'verifying');
			await hashBlobInto(hasher, await store.read(entry.id, f.path));
		}
		if (have === f.size) return bytesToHex(hasher.digest());
		const src = new URL(f.path, new URL(base, globalThis.location?.href)).href;
		if (have > 0) options.onNote?.({ kind: 'resume', file: f.path, message: t('dlResuming', { file: f.path, from: formatBytes(have) }) });
		let res: Response;
		try {
			res = await fetchFn(src, { headers: have > 0 ? { Range: `bytes=${have}-` } : {}, signal, cache: 'no-store' });
		} catch (e) {
			if (isAbort(e, signal)) throw new DownloadError('aborted', t('dlPaused'));
			throw new DownloadError('network', t('dlUnreachable', { host: new URL(src).host, kept: formatBytes(sum()) }));
		}
		if (have > 0 && res.status === 206) {
			const m = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
			if (!m || Number(m[1]) !== have) {
				void res.body?.cancel();
				throw new DownloadError('http', t('dlWrongRange', { file: f.path, range: res.headers.get('content-range') ?? t('dlNoRange') }));
			}
		} else if (res.status === 200 || (res.status === 416 && have > 0)) {
			// The server ignored the Range header (or the file changed): start this file afresh.
			if (have > 0) {
				await store.discard(entry.id, f.path);
				kept.set(f.path, (have = 0));
				hasher = sha256.create();
			}
			if (res.status === 416) return fetchFile(entry, base, f, index);
		} else {
			void res.body?.cancel();
			throw new DownloadError('http', t('dlHttp', { status: String(res.status), file: f.path }));
		}
		const reader = res.body!.getReader();
		let buffer: Uint8Array[] = [];
		let buffered = 0;
		const flush = async () => {
			if (!buffered) return;
			const chunk = new Uint8Array(buffered);
			let o = 0;
			for (const b of buffer) {
				chunk.set(b, o);
				o += b.byteLength;
			}
			buffer = [];
			buffered = 0;
			await store.append(entry.id, f.path, chunk);
		};
		try {
			for (;;) {
				const { done, value } = await reader.read();
				if (done) break;
				// Never keep more than the catalogue's size: a longer answer is a wrong file.
				const room = f.size - have - buffered;
				const part = value.byteLength > room ? value.subarray(0, room) : value;
				buffer.push(part);
				hasher.update(part);
				buffered += part.byteLength;
				kept.set(f.path, have + buffered);
				meter.add(now(), sum());
				report(f.path, index, 'downloading');
				if (buffered >= CHUNK_BYTES) {
					await flush();
					have = kept.get(f.path)!;
				}
				if (part.byteLength < value.byteLength) {
					void reader.cancel();
					break;
				}
			}
		} catch (e) {
			// Keep what arrived: the next attempt resumes after it.
			await flush().catch(() => undefined);
			kept.set(f.path, await store.stored(entry.id, f.path));
			if (isAbort(e, signal)) throw new DownloadError('aborted', t('dlPaused'));
			throw new DownloadError('network', t('dlDropped', { file: f.path, kept: formatBytes(sum()), total: formatBytes(total) }));
		}
		try {
			await flush();
		} catch (e) {
			if ((e as { name?: string }).name === 'QuotaExceededError') throw new DownloadError('quota', t('dlRefused'));
			throw e;
		}
		kept.set(f.path, await store.stored(entry.id, f.path));
		if (kept.get(f.path)! < f.size) {
			throw new DownloadError('network', t('dlEndedEarly', { file: f.path, got: formatBytes(kept.get(f.path)!), size: formatBytes(f.size) }));
		}
		return bytesToHex(hasher.digest());
	}
}
