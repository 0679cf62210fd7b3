/**
 * A downloaded model as a kernels {@link ModelSource}: read from the store (OPFS), never the
 * network. Only a model whose every file passed its SHA-256 check (manifest `complete`) is offered.
 */
import { blobSource, type ModelSource } from '../../../../kernels/models/index';
import { readManifest, type StoredManifest } from './manager';
import { openOpfsStore, type ModelStore } from './store';

/** The stored, verified model `modelId` and a source over its files; null if it is not (fully) downloaded. */
export async function storedModel(modelId: string, store?: ModelStore | null): Promise<{ manifest: StoredManifest; source: ModelSource } | null> {
	const s = store ?? (await openOpfsStore());
	if (!s) return null;
	const manifest = await readManifest(s, modelId);
	if (!manifest?.complete) return null;
	const files = new Map<string, Blob>();
	for (const f of manifest.entry.files) {
		const blob = await s.read(modelId, f.path);
		if (blob.size !== f.size) return null; // deleted or damaged under us: not offered
		files.set(f.path, blob);
	}
	return { manifest, source: blobSource(files, `${manifest.entry.name} (downloaded)`) };
}
