/**
 * Model downloads: the store (OPFS), the resumable, verified downloader and the storage numbers
 * the Models page shows. No ML code: the page imports this directly.
 */
export { openOpfsStore, MemoryStore, type ModelStore } from './store';
export { storedCache, type StoredCache } from './cache';
export {
	downloadModel,
	readManifest,
	storedBytes,
	sha256Hex,
	RateMeter,
	DownloadError,
	CHUNK_BYTES,
	type DownloadErrorCode,
	type DownloadNote,
	type DownloadProgress,
	type StoredManifest
} from './manager';

export interface StorageInfo {
	usage?: number;
	quota?: number;
	/** Whether the browser promised not to evict the app's storage under pressure. */
	persisted: boolean;
}

/** How much the origin stores and may store, and whether that storage is persistent. */
export async function storageInfo(): Promise<StorageInfo> {
	const storage = globalThis.navigator?.storage;
	const est = await storage?.estimate?.().catch(() => undefined);
	const persisted = (await storage?.persisted?.().catch(() => false)) ?? false;
	return { usage: est?.usage, quota: est?.quota, persisted };
}

/** Asks the browser to keep the app's storage under pressure (it may say no or ask the user). */
export async function requestPersist(): Promise<boolean> {
	return (await globalThis.navigator?.storage?.persist?.().catch(() => false)) ?? false;
}

/**
 * Runs `fn` holding this model's download lock (Web Locks), so two tabs never append to the same
 * files at once; resolves `null` without running it when another tab holds the lock. Where the
 * browser has no Web Locks, `fn` just runs.
 */
export async function withDownloadLock<T>(modelId: string, fn: () => Promise<T>): Promise<T | null> {
	const locks = globalThis.navigator?.locks;
	if (!locks) return fn();
	return locks.request(`oasis-download:${modelId}`, { ifAvailable: true }, async (lock) => (lock ? fn() : null));
}
