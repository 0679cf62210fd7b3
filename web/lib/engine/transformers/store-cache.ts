/**
 * How Transformers.js reads a model downloaded to this device (OPFS) with no network: through its
 * documented custom-cache hook (`env.useCustomCache` + `env.customCache`, an object with the Cache
 * API's `match` and `put`), which it consults before any fetch, for every model file.
 *
 * A downloaded model is mounted under {@link STORE_BASE}, a reserved host (RFC 2606 `.invalid`)
 * that nothing on the network answers, and Transformers.js is pointed at it (`localModelPath`).
 * `match` answers that model's files from the store; every other URL (the bundled models, the
 * onnxruntime wasm) goes to the browser's Cache Storage exactly as Transformers.js's default cache
 * would, so nothing changes for them. `put` of a stored file keeps nothing, so a multi-GB model is
 * never copied into Cache Storage. The guarded `env.fetch` ({@link guardStoreFetch}) answers 404 for any other file under
 * STORE_BASE (an optional file the model lacks), so Transformers.js treats it as absent instead of
 * sending a request.
 *
 * Why this hook and not `localModelPath` plus a service worker: the custom cache is a documented,
 * stable Transformers.js option that works in the engine's Web Worker and in Node alike, needs no
 * service worker (not there on the first visit, absent in dev and in some private windows), and
 * streams from the store's Blob instead of copying the model through a second cache.
 */
import type { StoredCache } from '../download/cache';

/** The prefix under which the mounted downloaded model's files are addressed. */
export const STORE_BASE = 'https://oasis-store.invalid/';

/** What Transformers.js needs of a cache: the Cache API's `match` and `put`. */
export interface CacheLike {
	match(request: string): Promise<Response | undefined>;
	put(request: string, response: Response): Promise<void>;
}

const HF_ID = /^(\b[\w\-.]+\b\/)?\b[\w\-.]{1,96}\b$/;

/**
 * The name under which Transformers.js asks for a stored model: its id when that is a valid model
 * id for the library (letters, digits, `._-`, no `--` or `..`), else a fixed name.
 */
export function storeModelName(modelId: string): string {
	return HF_ID.test(modelId) && !modelId.includes('--') && !modelId.includes('..') ? modelId : 'stored-model';
}

function urlOf(request: string | URL | Request): string {
	const raw = request instanceof Request ? request.url : String(request);
	try {
		return new URL(raw, globalThis.location?.href ?? STORE_BASE).href;
	} catch {
		return raw;
	}
}

/** The cache Transformers.js is given: the mounted stored model, else the fallback cache. */
export class StoreCache implements CacheLike {
	private mounted: { prefix: string; cache: StoredCache } | null = null;

	/** @param fallback The cache for everything else (Cache Storage in browsers; none in Node). */
	constructor(private readonly fallback: () => Promise<CacheLike | null>) {}

	/** Serves `cache`'s model under STORE_BASE; returns the model name to ask Transformers.js for. */
	mount(cache: StoredCache): string {
		const name = storeModelName(cache.modelId);
		this.mounted = { prefix: `${STORE_BASE}${name}/`, cache };
		return name;
	}

	unmount(): void {
		this.mounted = null;
	}

	async match(request: string | URL | Request): Promise<Response | undefined> {
		const url = urlOf(request);
		if (url.startsWith(STORE_BASE)) {
			const m = this.mounted;
			if (!m || !url.startsWith(m.prefix)) return undefined;
			return m.cache.file(decodeURIComponent(url.slice(m.prefix.length).split(/[?#]/)[0]));
		}
		const fb = await this.fallback();
		return (await fb?.match(url)) ?? undefined;
	}

	async put(request: string | URL | Request, response: Response): Promise<void> {
		const url = urlOf(request);
		if (url.startsWith(STORE_BASE) || !/^https?:/.test(url)) return; // the store keeps its own files
		const fb = await this.fallback();
		// Like Transformers.js's own caching: a full cache (quota) is no reason to fail a load.
		await fb?.put(url, response).catch((e: unknown) => console.warn(`Could not cache ${url}:`, e));
	}

}

const GUARDED = Symbol('oasis-store-guard');

/**
 * `fetch` for Transformers.js: 404 for store URLs (a file the downloaded model lacks) with no
 * request sent, anything else to `base`. Wrapping twice is a no-op.
 */
export function guardStoreFetch<F extends (input: string | URL, init?: RequestInit) => Promise<Response>>(base: F): F {
	if ((base as { [GUARDED]?: boolean })[GUARDED]) return base;
	const guarded = (input: string | URL, init?: RequestInit) =>
		urlOf(input).startsWith(STORE_BASE) ? Promise.resolve(new Response(null, { status: 404, statusText: 'Not in the downloaded model' })) : base(input, init);
	return Object.assign(guarded, { [GUARDED]: true }) as unknown as F;
}

/** Cache Storage under `name`, or null where there is none (Node, storage disabled). */
export function cacheStorageFallback(name: string): () => Promise<CacheLike | null> {
	let opened: Promise<CacheLike | null> | null = null;
	return () =>
		(opened ??= (async () => {
			if (typeof caches === 'undefined') return null;
			try {
				return await caches.open(name);
			} catch {
				return null; // e.g. an opaque origin: go on without a cache, as Transformers.js does
			}
		})());
}
