/**
 * Where snapshot contents live. `BlobStore` is the seam: the filesystem store below is the
 * default; an object store (S3, R2, …) implements the same four methods.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Immutable blobs by key. Keys are plain file-like names (`[A-Za-z0-9._-]`). */
export interface BlobStore {
	/** Store `data` under `key`; the blob appears whole or not at all. */
	put(key: string, data: AsyncIterable<Uint8Array>): Promise<{ bytes: number }>;
	/** The bytes under `key`. @throws BlobNotFoundError */
	get(key: string): AsyncIterable<Uint8Array>;
	has(key: string): Promise<boolean>;
	delete(key: string): Promise<void>;
	/** Where the store keeps `key`, for people (a path, a URL). */
	describe(key: string): string;
}

export class BlobNotFoundError extends Error {
	override name = 'BlobNotFoundError';
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

function checkKey(key: string): string {
	if (!KEY.test(key) || key.includes('..')) throw new RangeError(`invalid blob key "${key}": use letters, digits, ".", "_" and "-"`);
	return key;
}

/** Blobs as files in one folder (created on first write). Writes go to a temporary name first. */
export class FsBlobStore implements BlobStore {
	constructor(readonly root: string) {}

	private path(key: string): string {
		return join(this.root, checkKey(key));
	}

	describe(key: string): string {
		return this.path(key);
	}

	async put(key: string, data: AsyncIterable<Uint8Array>): Promise<{ bytes: number }> {
		const target = this.path(key);
		await mkdir(this.root, { recursive: true });
		const temp = `${target}.${process.pid}.${Date.now()}.partial`;
		let bytes = 0;
		const counted = async function* () {
			for await (const chunk of data) {
				bytes += chunk.byteLength;
				yield chunk;
			}
		};
		try {
			await pipeline(Readable.from(counted()), createWriteStream(temp, { flags: 'wx' }));
			await rename(temp, target);
		} catch (error) {
			await rm(temp, { force: true });
			throw error;
		}
		return { bytes };
	}

	async *get(key: string): AsyncGenerator<Uint8Array> {
		const path = this.path(key);
		if (!(await this.has(key))) throw new BlobNotFoundError(`no blob "${key}" at ${path}`);
		yield* createReadStream(path);
	}

	async has(key: string): Promise<boolean> {
		try {
			return (await stat(this.path(key))).isFile();
		} catch {
			return false;
		}
	}

	async delete(key: string): Promise<void> {
		await rm(this.path(key), { force: true });
	}
}

/** The default store: `OASIS_SNAPSHOT_DIR`, else `data/snapshots` under the working folder. */
export function defaultSnapshotStore(): FsBlobStore {
	return new FsBlobStore(process.env.OASIS_SNAPSHOT_DIR ?? join('data', 'snapshots'));
}
