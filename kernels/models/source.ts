/**
 * Where model files come from: a folder on disk (source-node.ts), a URL prefix (fetch with
 * Range requests) or files picked in the browser (Blobs). Tensors are read lazily by byte range.
 */
import { ModelError } from './errors.js';

/** Read access to the files of one model, by file name relative to the model. */
export interface ModelSource {
	/** A label for messages, e.g. the folder path or URL. */
	readonly label: string;
	/** Whether a file exists. */
	has(name: string): Promise<boolean>;
	/** Byte size of a file. */
	size(name: string): Promise<number>;
	/** Bytes [start, end) of a file. */
	readRange(name: string, start: number, end: number): Promise<Uint8Array>;
	/** A file parsed as JSON. */
	readJson(name: string): Promise<unknown>;
	/** Something that changes when the file changes (size + mtime, ETag…), for caches. */
	fingerprint(name: string): Promise<string>;
}

/** Reads the whole file as text. */
export async function readText(src: ModelSource, name: string): Promise<string> {
	return new TextDecoder().decode(await src.readRange(name, 0, await src.size(name)));
}

function parseJson(text: string, file: string): unknown {
	try {
		return JSON.parse(text);
	} catch (e) {
		throw new ModelError('bad-format', `${file}: not valid JSON (${(e as Error).message})`);
	}
}

/** Files served under a URL prefix (e.g. `/models/oasis-tiny/`), read with HTTP Range requests. */
export function fetchSource(baseUrl: string, fetchFn: typeof fetch = fetch): ModelSource {
	const base = baseUrl.endsWith('/') ? baseUrl : baseUrl + '/';
	const heads = new Map<string, Promise<Response>>();
	const head = (name: string) => {
		let p = heads.get(name);
		if (!p) heads.set(name, (p = fetchFn(base + name, { method: 'HEAD' })));
		return p;
	};
	return {
		label: base,
		async has(name) {
			return (await head(name)).ok;
		},
		async size(name) {
			const r = await head(name);
			const n = Number(r.headers.get('content-length'));
			if (!r.ok || !Number.isFinite(n)) throw new ModelError('missing-file', `${base + name}: not found (HTTP ${r.status})`);
			return n;
		},
		async readRange(name, start, end) {
			if (end <= start) return new Uint8Array(0);
			const r = await fetchFn(base + name, { headers: { Range: `bytes=${start}-${end - 1}` } });
			if (!r.ok) throw new ModelError('missing-file', `${base + name}: HTTP ${r.status}`);
			const buf = new Uint8Array(await r.arrayBuffer());
			// A server that ignores Range sends the whole file (200).
			const bytes = r.status === 206 ? buf : buf.subarray(start, end);
			if (bytes.byteLength !== end - start) throw new ModelError('truncated', `${base + name}: expected bytes ${start}..${end}, got ${bytes.byteLength}`);
			return bytes;
		},
		async readJson(name) {
			const r = await fetchFn(base + name);
			if (!r.ok) throw new ModelError('missing-file', `${base + name}: not found (HTTP ${r.status})`);
			return parseJson(await r.text(), base + name);
		},
		async fingerprint(name) {
			const r = await head(name);
			return `${r.headers.get('etag') ?? ''}:${r.headers.get('content-length') ?? ''}:${r.headers.get('last-modified') ?? ''}`;
		}
	};
}

/** Files the user picked (a folder upload or a single .gguf), by name. */
export function blobSource(files: ReadonlyMap<string, Blob>, label = 'selected files'): ModelSource {
	const get = (name: string) => {
		const b = files.get(name);
		if (!b) throw new ModelError('missing-file', `${label}: ${name} is missing`);
		return b;
	};
	return {
		label,
		has: async (name) => files.has(name),
		size: async (name) => get(name).size,
		async readRange(name, start, end) {
			const b = get(name);
			if (end > b.size) throw new ModelError('truncated', `${name}: expected at least ${end} bytes, the file has ${b.size}`);
			return new Uint8Array(await b.slice(start, end).arrayBuffer());
		},
		readJson: async (name) => parseJson(await get(name).text(), name),
		fingerprint: async (name) => {
			const b = get(name) as Blob & { lastModified?: number };
			return `${b.size}:${b.lastModified ?? 0}`;
		}
	};
}
