/** Node only: quantized weights cached as files, one per tensor, named by a hash of the key. */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { QuantCache } from './quant-cache.js';

/** `$OASIS_CACHE_DIR/quant` or `~/.cache/oasis/quant`. */
export function defaultQuantCacheDir(): string {
	return join(process.env.OASIS_CACHE_DIR ?? join(homedir(), '.cache', 'oasis'), 'quant');
}

export function nodeQuantCache(dir = defaultQuantCacheDir()): QuantCache {
	const file = (key: string) => join(dir, createHash('sha256').update(key).digest('hex').slice(0, 40) + '.bin');
	return {
		async get(key) {
			try {
				const b = await readFile(file(key));
				if (b.byteLength % 4 !== 0) return null;
				return new Uint32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
			} catch {
				return null;
			}
		},
		async put(key, data) {
			await mkdir(dir, { recursive: true });
			const f = file(key);
			// Write then rename, so a crash never leaves a partial entry behind.
			const tmp = `${f}.${process.pid}.tmp`;
			await writeFile(tmp, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
			await rename(tmp, f);
		}
	};
}
