/**
 * LoRA adapters in the chat: a finished training job's newest version (the server's
 * `training.adapters`, PEFT files served by /api/training/jobs/{id}/adapter/v{n}/) becomes a
 * catalogue entry of the `oasis` engine whose files are the adapter's and whose `adapter` field
 * names the base model. Downloading it puts the two files into the model store (OPFS, checked by
 * SHA-256) like any model, so the engine worker finds the entry in the store with no network and
 * OasisEngine merges the adapter into the base weights as they load (kernels/models/adapter.ts).
 */
import type { ModelEntry } from './catalogue';
import { downloadModel, openOpfsStore, withDownloadLock } from './download';
import { readManifest } from './download/manager';
import type { ModelStore } from './download/store';

/** A finished job's adapter as `training.adapters` lists it. */
export interface AdapterOffer {
	jobId: string;
	name: string;
	baseModel: string;
	version: number;
	/** 'reward': a reward model (SEQ_CLS adapter with a score head) for best-of-n, no chat adapter. */
	objective?: 'sft' | 'dpo' | 'reward';
	/** The job's sequence length (a reward model scores with this window; reward.ts `rewardWindow`). */
	sequenceTokens?: number;
	files: { path: string; size: number; sha256: string }[];
}

/** An entry that is an adapter over a base model. */
export type AdapterEntry = ModelEntry & { adapter: NonNullable<ModelEntry['adapter']> };

/** The model id of a job's adapter version over `baseModel` (letters, digits, . _ - only). */
export function adapterModelId(baseModel: string, jobId: string, version: number): string {
	return `${baseModel}.lora.${jobId}.v${version}`;
}

/** The catalogue entry of an adapter offer over its base entry (same context, memory and needs). */
export function adapterEntry(base: ModelEntry, offer: AdapterOffer): AdapterEntry {
	return {
		id: adapterModelId(base.id, offer.jobId, offer.version),
		name: `${base.name} + ${offer.name} v${offer.version}`,
		engine: 'oasis',
		description: `LoRA adapter of training job ${offer.jobId} (version ${offer.version}) over ${base.name}.`,
		license: base.license,
		sizeBytes: offer.files.reduce((n, f) => n + f.size, 0),
		memoryBytes: base.memoryBytes,
		bundled: false,
		maxSeq: base.maxSeq,
		requires: base.requires,
		url: `/api/training/jobs/${offer.jobId}/adapter/v${offer.version}/`,
		files: offer.files,
		adapter: { baseModel: base.id, jobId: offer.jobId, jobName: offer.name, version: offer.version, ...(offer.objective ? { objective: offer.objective } : {}), ...(offer.sequenceTokens ? { sequenceTokens: offer.sequenceTokens } : {}) }
	};
}

export function isAdapterEntry(e: ModelEntry | undefined | null): e is AdapterEntry {
	return !!e?.adapter;
}

/** Adapters whose download completed in `store` (they work offline). */
export async function storedAdapters(store: ModelStore): Promise<AdapterEntry[]> {
	const out: AdapterEntry[] = [];
	for (const id of await store.models()) {
		const m = await readManifest(store, id).catch(() => null);
		const entry = m?.entry as ModelEntry | undefined;
		if (m?.complete && isAdapterEntry(entry)) out.push(entry);
	}
	return out;
}

/**
 * Downloads an adapter into this device's model store (its two PEFT files, SHA-256 checked, one tab
 * at a time), as both chat pickers (chat adapters, reward models) do when one is chosen. `onProgress`
 * gets the fraction done, from 0 once the store is open. Resolves to the store's adapters afterwards,
 * or to why nothing was saved: no OPFS store here, or another tab is downloading it.
 */
export async function saveAdapter(entry: AdapterEntry, onProgress: (fraction: number) => void): Promise<{ stored: AdapterEntry[] } | { refused: 'no-store' | 'other-tab' }> {
	const store = await openOpfsStore();
	if (!store) return { refused: 'no-store' };
	onProgress(0);
	const done = await withDownloadLock(entry.id, () => downloadModel(entry, { store, onProgress: (p) => onProgress(p.total ? p.bytes / p.total : 0) }));
	if (done === null) return { refused: 'other-tab' };
	return { stored: await storedAdapters(store) };
}

/** A reward job's adapter (a reward model that scores replies), not a chat adapter. */
export function isRewardEntry(e: ModelEntry | undefined | null): e is AdapterEntry {
	return e?.adapter?.objective === 'reward';
}
