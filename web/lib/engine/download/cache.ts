/**
 * A downloaded model as a Cache-like lookup: `match(url)` answers a file of the model (by its URL
 * under the entry's `url`) from the store. Transformers.js accepts such an object as
 * `env.customCache` (with `env.useCustomCache = true`), so an engine that fetches by URL can read
 * a downloaded model with no network. `put` keeps nothing: the store is filled by the downloader.
 */
import { readManifest } from './manager';
import type { ModelStore } from './store';

export interface StoredCache {
	/** The model's id in the store. */
	readonly modelId: string;
	/** The file at `path` (relative to the model folder), or undefined if the model has no such file. */
	file(path: string): Promise<Response | undefined>;
	match(request: string | URL | Request): Promise<Response | undefined>;
	put(request: string | URL | Request, response: Response): Promise<void>;
}

/** The cache over the complete download `modelId`, or null if it is not fully downloaded. */
export async function storedCache(store: ModelStore, modelId: string): Promise<StoredCache | null> {
	const manifest = await readManifest(store, modelId);
	if (!manifest?.complete) return null;
	const base = manifest.entry.url;
	const sizes = new Map(manifest.entry.files.map((f) => [f.path, f.size]));
	const file = async (path: string): Promise<Response | undefined> => {
		const size = sizes.get(path);
		if (size === undefined) return undefined;
		const blob = await store.read(modelId, path);
		if (blob.size !== size) return undefined;
		return new Response(blob, { headers: { 'content-length': String(size), 'content-type': path.endsWith('.json') ? 'application/json' : 'application/octet-stream' } });
	};
	return {
		modelId,
		file,
		async match(request) {
			const url = new URL(request instanceof Request ? request.url : String(request), base).href;
			if (!url.startsWith(base)) return undefined;
			return file(decodeURIComponent(url.slice(base.length).split(/[?#]/)[0]));
		},
		async put() {}
	};
}
