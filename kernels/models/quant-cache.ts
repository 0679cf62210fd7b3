/**
 * Cache of weights quantized on load (`--quant q8|q4`), so the next load reads packed words
 * instead of quantizing again. Keys name the source file's fingerprint (size + mtime, or an
 * ETag), the tensor and the format. Node: quant-cache-node.ts (files under ~/.cache/oasis);
 * a browser can implement this over the Cache API or OPFS.
 */
export interface QuantCache {
	get(key: string): Promise<Uint32Array | null>;
	put(key: string, data: Uint32Array): Promise<void>;
}

/** An in-memory cache (tests, or a page that keeps one model around). */
export function memoryQuantCache(): QuantCache & { size(): number } {
	const m = new Map<string, Uint32Array>();
	return {
		get: async (k) => m.get(k) ?? null,
		put: async (k, d) => void m.set(k, d),
		size: () => m.size
	};
}
