/**
 * Model files fetched once and kept in Cache Storage (`oasis-models`), so a model used once
 * works with no network. Files are read whole (the bundled model is a few MB) and served to
 * the loader by range from memory. Downloads of large models with progress, resume and hash
 * checks are the Models page's job, not this module's.
 */
import { fetchSource, type ModelSource } from '../../../kernels/models/index';

export const MODEL_CACHE = 'oasis-models';

async function openCache(): Promise<Cache | null> {
	try {
		return typeof caches === 'undefined' ? null : await caches.open(MODEL_CACHE);
	} catch {
		return null; // e.g. an opaque origin or storage disabled: fall back to the network only
	}
}

/**
 * A `fetch` for {@link fetchSource} that answers HEAD, Range and plain GETs from a whole-file
 * copy: Cache Storage first, else the network (then cached). A file that is neither cached nor
 * reachable answers 404, so optional files read as absent offline.
 */
export function cachingFetch(onFetch?: (url: string) => void): typeof fetch {
	const files = new Map<string, Promise<Uint8Array | null>>();
	const cachePromise = openCache();
	const whole = (url: string) => {
		let p = files.get(url);
		if (!p) {
			p = (async () => {
				const cache = await cachePromise;
				const hit = await cache?.match(url);
				if (hit) return new Uint8Array(await hit.arrayBuffer());
				onFetch?.(url);
				let r: Response;
				try {
					r = await fetch(url);
				} catch {
					return null;
				}
				if (!r.ok) return null;
				const bytes = new Uint8Array(await r.arrayBuffer());
				await cache?.put(url, new Response(bytes.slice(), { headers: { 'content-type': r.headers.get('content-type') ?? 'application/octet-stream' } }));
				return bytes;
			})();
			files.set(url, p);
		}
		return p;
	};
	return (async (input: RequestInfo | URL, init?: RequestInit) => {
		const url = new URL(String(input instanceof Request ? input.url : input), globalThis.location?.href).href;
		const bytes = await whole(url);
		if (!bytes) return new Response(null, { status: 404 });
		const headers = new Headers({ 'content-length': String(bytes.byteLength), etag: `"${bytes.byteLength}"` });
		if (init?.method === 'HEAD') return new Response(null, { status: 200, headers });
		const range = /^bytes=(\d+)-(\d+)$/.exec(new Headers(init?.headers).get('range') ?? '');
		if (range) {
			const part = bytes.slice(Number(range[1]), Number(range[2]) + 1);
			return new Response(part, { status: 206, headers: { 'content-length': String(part.byteLength) } });
		}
		return new Response(bytes.slice(), { status: 200, headers });
	}) as typeof fetch;
}

export function cachedModelSource(baseUrl: string, onFetch?: (url: string) => void): ModelSource {
	return fetchSource(baseUrl, cachingFetch(onFetch));
}
