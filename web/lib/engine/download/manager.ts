/**
 * Downloads the files of an oasis/transformers model into a {@link ModelStore}: streamed, with
 * progress (bytes, speed, time left), resumed with an HTTP Range request from the bytes already
 * kept (after a dropped connection or a reload), and each file checked against its SHA-256. A
 * file that fails its check is discarded and fetched once more; failing twice is an error.
 *
 * Hashing: WebCrypto has no streaming digest and no small incremental SHA-256 library is
 * installed, so a completed file is hashed whole with `crypto.subtle.digest`, which holds the
 * file in memory once (its size, briefly: 3.5 MB for the bundled model, up to a shard's size —
 * typically ≤ 2 GB — for large ones). An incremental hasher (e.g. @noble/hashes) would bring
 * that to a few KB and let a resumed file be checked without re-reading it.
 */
import { z } from 'zod';
import type { ModelEntry, ModelFile } from '../catalogue';
import { formatBytes } from '../capabilities';
import type { ModelStore } from './store';

/** Bytes buffered in memory before they are committed to the store as one chunk. */
export const CHUNK_BYTES = 4 << 20;

export type DownloadErrorCode = 'network' | 'http' | 'corrupt' | 'quota' | 'aborted' | 'bad-entry';

/** A download that stopped; `message` says what to do. Bytes already kept stay for a resume. */
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
			files: z.array(z.object({ path: z.string().min(1), size: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) }))
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

/** Lower-case hex SHA-256 of a blob (read whole: see the module note). */
export async function sha256Hex(blob: Blob): Promise<string> {
	const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
	return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
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
	if (!entry.url || !entry.files?.length) throw new DownloadError('bad-entry', `${entry.name} has no files to download.`);
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
		throw new DownloadError('quota', `${entry.name} needs ${formatBytes(total - sum())} more storage, but only ${formatBytes(options.freeBytes)} is free. Delete another model or free space in the browser's site settings.`);
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
			await fetchFile(entry, url, f, i);
			report(f.path, i, 'verifying');
			const hash = await sha256Hex(await store.read(entry.id, f.path));
			if (hash === f.sha256) break;
			await store.discard(entry.id, f.path);
			kept.set(f.path, 0);
			if (attempt >= 2) {
				throw new DownloadError('corrupt', `${f.path} of ${entry.name} failed its SHA-256 check twice (the server sent different bytes than the catalogue lists). Try again later; if it keeps failing, the model's files have changed.`);
			}
			options.onNote?.({ kind: 'refetch', file: f.path, message: `${f.path} arrived damaged (SHA-256 mismatch); it was discarded and is being fetched again.` });
		}
		manifest.verified.push(f.path);
		await store.writeManifest(entry.id, manifest);
	}
	manifest.complete = true;
	await store.writeManifest(entry.id, manifest);
	report(files.at(-1)!.path, files.length - 1, 'verifying');
	return manifest;

	async function fetchFile(entry: ModelEntry, base: string, f: ModelFile, index: number): Promise<void> {
		let have = kept.get(f.path)!;
		if (have === f.size) return;
		const src = new URL(f.path, new URL(base, globalThis.location?.href)).href;
		if (have > 0) options.onNote?.({ kind: 'resume', file: f.path, message: `Resuming ${f.path} from ${formatBytes(have)}.` });
		let res: Response;
		try {
			res = await fetchFn(src, { headers: have > 0 ? { Range: `bytes=${have}-` } : {}, signal, cache: 'no-store' });
		} catch (e) {
			if (isAbort(e, signal)) throw new DownloadError('aborted', 'Download paused. Press Resume to continue where it stopped.');
			throw new DownloadError('network', `Could not reach ${new URL(src).host}: check your connection and press Resume; ${formatBytes(sum())} already downloaded are kept.`);
		}
		if (have > 0 && res.status === 206) {
			const m = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
			if (!m || Number(m[1]) !== have) {
				void res.body?.cancel();
				throw new DownloadError('http', `The server answered a resume of ${f.path} with the wrong range (${res.headers.get('content-range') ?? 'none'}). Press Resume to try again.`);
			}
		} else if (res.status === 200 || (res.status === 416 && have > 0)) {
			// The server ignored the Range header (or the file changed): start this file afresh.
			if (have > 0) {
				await store.discard(entry.id, f.path);
				kept.set(f.path, (have = 0));
			}
			if (res.status === 416) return fetchFile(entry, base, f, index);
		} else {
			void res.body?.cancel();
			throw new DownloadError('http', `The server answered ${res.status} for ${f.path}. Try again later.`);
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
			if (isAbort(e, signal)) throw new DownloadError('aborted', 'Download paused. Press Resume to continue where it stopped.');
			throw new DownloadError('network', `The connection dropped while fetching ${f.path}: ${formatBytes(sum())} of ${formatBytes(total)} are kept. Press Resume to continue.`);
		}
		try {
			await flush();
		} catch (e) {
			if ((e as { name?: string }).name === 'QuotaExceededError') throw new DownloadError('quota', 'The browser refused to store more: delete another model or free space in the site settings, then press Resume.');
			throw e;
		}
		kept.set(f.path, await store.stored(entry.id, f.path));
		if (kept.get(f.path)! < f.size) {
			throw new DownloadError('network', `${f.path} ended early (${formatBytes(kept.get(f.path)!)} of ${formatBytes(f.size)}); the bytes are kept. Press Resume to continue.`);
		}
	}
}
