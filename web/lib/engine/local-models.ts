/**
 * "Use a model from this device": model files the person already has — one `.gguf`, or the files
 * of a Hugging Face folder (config.json, safetensors, tokenizer.json…) — checked with the kernels
 * loader (headers only), copied into the model store (OPFS) with a manifest like a finished
 * download (per-file SHA-256, `complete`), so the engine worker finds them with `storedModel` and
 * the chat offers them offline. Their catalogue entry is built here; `gguf` names the GGUF file.
 */
import { openModel, blobSource, ModelError, type ModelFiles } from '../../../kernels/models/index';
import { ggufSplitNames } from '../../../kernels/models/gguf';
import type { ModelEntry, ModelFile } from './catalogue';
import { CHUNK_BYTES, readManifest, sha256Hex, type StoredManifest } from './download/manager';
import type { ModelStore } from './download/store';
import { t } from '../i18n/catalogue/models';

/** Prefix of every local model's id (the rest: 12 hex of the main weights file's SHA-256). */
export const LOCAL_PREFIX = 'local.';

/** Longest context a local model is set up for (its KV cache is sized for it). */
export const LOCAL_MAX_SEQ = 2048;

export type LocalRefusalCode = 'none' | 'mixed' | 'several-gguf' | 'no-config' | 'no-weights' | 'no-tokenizer' | 'invalid' | 'no-store';

/** Why picked files cannot be used; `message` is worded in the interface language and says what to do. */
export class LocalModelError extends Error {
	override name = 'LocalModelError';
	constructor(
		readonly code: LocalRefusalCode,
		message: string
	) {
		super(message);
	}
}

/** A picked file: its name (no folder) and bytes. `File` is one. */
export interface PickedFile {
	name: string;
	blob: Blob;
}

/** Picked files sorted into a GGUF pick or a Hugging Face folder pick. */
export interface LocalPick {
	files: Map<string, Blob>;
	/** The GGUF file's name, or null for a Hugging Face folder. */
	gguf: string | null;
	/** A label for messages and the fallback name (the GGUF's name without `.gguf`, else the folder's). */
	label: string;
}

const isGguf = (n: string) => n.toLowerCase().endsWith('.gguf');
const isSafetensors = (n: string) => n.toLowerCase().endsWith('.safetensors');

/** Sorts picked files into one GGUF or a folder's files, refusing what cannot be a model. */
export function classifyPick(picked: readonly PickedFile[], folderName?: string): LocalPick {
	if (picked.length === 0) throw new LocalModelError('none', t('localNone'));
	const ggufs = picked.filter((f) => isGguf(f.name));
	if (ggufs.length > 0 && picked.length > ggufs.length) throw new LocalModelError('mixed', t('localMixed'));
	if (ggufs.length === 1) {
		const name = ggufs[0].name;
		return { files: new Map([[name, ggufs[0].blob]]), gguf: name, label: name.replace(/\.gguf$/i, '') };
	}
	if (ggufs.length > 1) {
		// All the parts of one model split by llama.cpp's gguf-split (name-00001-of-0000n.gguf …).
		const files = new Map(ggufs.map((f) => [f.name, f.blob] as const));
		const parts = ggufSplitNames(ggufs[0].name);
		if (!parts || parts.length !== files.size || !parts.every((p) => files.has(p))) {
			throw new LocalModelError('several-gguf', t('localSeveralGguf', { count: ggufs.length }));
		}
		return { files, gguf: parts[0], label: parts[0].replace(/-00001-of-\d{5}\.gguf$/, '') };
	}
	const files = new Map(picked.map((f) => [f.name, f.blob] as const));
	if (!files.has('config.json')) throw new LocalModelError('no-config', t('localNoConfig'));
	if (![...files.keys()].some(isSafetensors)) throw new LocalModelError('no-weights', t('localNoWeights'));
	if (!files.has('tokenizer.json')) throw new LocalModelError('no-tokenizer', t('localNoTokenizerJson'));
	return { files, gguf: null, label: folderName || t('localFolderLabel') };
}

/** The weights file whose hash names the model: the GGUF, `model.safetensors`, else the first shard. */
export function mainWeightsFile(pick: Pick<LocalPick, 'files' | 'gguf'>): string {
	if (pick.gguf) return pick.gguf;
	if (pick.files.has('model.safetensors')) return 'model.safetensors';
	const shards = [...pick.files.keys()].filter(isSafetensors).sort();
	if (!shards.length) throw new LocalModelError('no-weights', t('localNoWeights'));
	return shards[0];
}

/** What {@link localEntry} needs from the opened model. */
export interface LocalModelFacts {
	config: Pick<ModelFiles['config'], 'maxPositions' | 'numLayers' | 'numKvHeads' | 'headDim'>;
	/** GGUF `general.name`, if the file has one. */
	generalName?: string;
	/** Bytes of the weights files (GGUF or safetensors). */
	weightsBytes: number;
}

/**
 * The catalogue entry of a local model. `memoryBytes` is an estimate: the weights as stored ×1.1
 * (the engine keeps them at their stored precision; 10% for work buffers, norms and the logits)
 * plus the f32 K and V caches for `maxSeq` positions (2 × layers × KV heads × head size × 4 bytes
 * per position).
 */
export function localEntry(pick: Pick<LocalPick, 'gguf' | 'label'>, facts: LocalModelFacts, files: ModelFile[], mainSha256: string): ModelEntry {
	const maxSeq = Math.min(facts.config.maxPositions, LOCAL_MAX_SEQ);
	const kv = 2 * facts.config.numLayers * facts.config.numKvHeads * facts.config.headDim * 4 * maxSeq;
	const name = (facts.generalName?.trim() || pick.label).slice(0, 200);
	return {
		id: `${LOCAL_PREFIX}${mainSha256.slice(0, 12)}`,
		name,
		engine: 'oasis',
		description: pick.gguf ? `GGUF file ${pick.gguf} from this device.` : 'Hugging Face model folder from this device.',
		license: 'unknown',
		sizeBytes: files.reduce((n, f) => n + f.size, 0),
		memoryBytes: Math.ceil(facts.weightsBytes * 1.1 + kv),
		bundled: false,
		maxSeq,
		requires: { webgpu: true, shaderF16: false },
		files,
		...(pick.gguf ? { gguf: pick.gguf } : {})
	};
}

export function isLocalEntry(e: { id: string } | null | undefined): boolean {
	return !!e && e.id.startsWith(LOCAL_PREFIX);
}

/** Bytes done of a total, for a progress bar: hashing, then copying, every picked byte. */
export type LocalProgress = (done: number, total: number) => void;

/**
 * Checks a pick with the kernels loader (headers only; the loader's message — naming the file or
 * tensor — comes back inside a {@link LocalModelError}) and hashes its files: the entry to store.
 * `onProgress` hears the bytes hashed (out of twice the pick's size: storing copies them again).
 */
export async function inspectPick(pick: LocalPick, onProgress?: LocalProgress): Promise<ModelEntry> {
	const source = blobSource(pick.files, pick.label);
	let opened: ModelFiles;
	try {
		opened = await openModel(source, pick.gguf);
	} catch (e) {
		if (e instanceof ModelError) throw new LocalModelError('invalid', t('localInvalid', { error: e.message }));
		throw e;
	}
	if (!opened.tokenizer) throw new LocalModelError('no-tokenizer', t(pick.gguf ? 'localNoTokenizerGguf' : 'localNoTokenizerJson'));
	const names = [...pick.files.keys()].sort();
	const total = 2 * [...pick.files.values()].reduce((n, b) => n + b.size, 0);
	let done = 0;
	const files: ModelFile[] = [];
	for (const path of names) {
		const blob = pick.files.get(path)!;
		files.push({ path, size: blob.size, sha256: await sha256Hex(blob, (n) => onProgress?.((done += n), total)) });
	}
	const main = mainWeightsFile(pick);
	const weightsBytes = files.filter((f) => isGguf(f.path) || isSafetensors(f.path)).reduce((n, f) => n + f.size, 0);
	return localEntry(pick, { config: opened.config, generalName: opened.name, weightsBytes }, files, files.find((f) => f.path === main)!.sha256);
}

/**
 * Copies the pick's files into `store` under `entry.id` (a store chunk at a time) and writes a
 * complete manifest, as a finished download leaves it. Idempotent: a model already stored
 * complete is left as it is (`added: false`).
 */
export async function storeLocalModel(store: ModelStore, pick: LocalPick, entry: ModelEntry, onProgress?: LocalProgress): Promise<{ entry: ModelEntry; added: boolean }> {
	const prior = await readManifest(store, entry.id);
	if (prior?.complete) return { entry: manifestEntry(prior), added: false };
	const files = entry.files ?? [];
	const manifest: StoredManifest = {
		version: 1,
		id: entry.id,
		// The manifest's entry must name a URL; a local model has none to fetch from.
		entry: { ...entry, url: '', files } as StoredManifest['entry'],
		verified: [],
		complete: false
	};
	await store.writeManifest(entry.id, manifest);
	const size = files.reduce((n, f) => n + f.size, 0);
	let done = size;
	for (const f of files) {
		await store.discard(entry.id, f.path);
		const blob = pick.files.get(f.path);
		if (!blob) throw new LocalModelError('invalid', t('localInvalid', { error: `${f.path} is missing` }));
		for (let o = 0; o < blob.size; o += CHUNK_BYTES) {
			const chunk = new Uint8Array(await blob.slice(o, o + CHUNK_BYTES).arrayBuffer());
			await store.append(entry.id, f.path, chunk);
			onProgress?.((done += chunk.byteLength), 2 * size);
		}
		manifest.verified.push(f.path);
	}
	manifest.complete = true;
	await store.writeManifest(entry.id, manifest);
	return { entry, added: true };
}

/** A stored local model's catalogue entry (the manifest's, less the empty URL it must carry). */
function manifestEntry(m: StoredManifest): ModelEntry {
	const { url: _url, ...entry } = m.entry;
	return entry as unknown as ModelEntry;
}

/** Checks picked files and stores them: the one call the Models page makes. */
export async function addLocalModel(
	store: ModelStore | null,
	picked: readonly PickedFile[],
	folderName?: string,
	onProgress?: LocalProgress
): Promise<{ entry: ModelEntry; added: boolean }> {
	const pick = classifyPick(picked, folderName);
	if (!store) throw new LocalModelError('no-store', t('noOpfs'));
	return storeLocalModel(store, pick, await inspectPick(pick, onProgress), onProgress);
}

/** The local models stored complete in `store`, by name. */
export async function storedLocalModels(store: ModelStore): Promise<ModelEntry[]> {
	const out: ModelEntry[] = [];
	for (const id of await store.models()) {
		if (!id.startsWith(LOCAL_PREFIX)) continue;
		const m = await readManifest(store, id).catch(() => null);
		if (m?.complete && m.entry.engine === 'oasis') out.push(manifestEntry(m));
	}
	return out.sort((a, b) => a.name.localeCompare(b.name));
}
