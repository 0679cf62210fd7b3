/**
 * What the training manager runs with beyond the database: where parameter versions, momentum
 * and deltas are kept (a `BlobStore`: a folder by default, `OASIS_TRAINING_DIR` or
 * `data/training`), where snapshots are read from, and the installed models (each with its
 * evaluator). One per process; tests install their own with `setTrainingRuntime`.
 */
import { join } from 'node:path';
import { type BlobStore, FsBlobStore, defaultSnapshotStore } from '../exchange/blob-store.js';
import { bigramModel } from './bigram.js';
import type { TrainingModel } from './model.js';

export interface TrainingRuntime {
	/** Parameter versions, momentum buffers and pending deltas. */
	store: BlobStore;
	/** Export snapshots (the training data). */
	snapshots: BlobStore;
	/** Installed models by id. */
	models: ReadonlyMap<string, TrainingModel>;
	/** Loads a model that is not in `models` on first use (GPU models), or null when unknown. */
	load?(id: string): Promise<TrainingModel | null>;
	/** Ids `load` knows, for error messages. */
	loadable?(): string[];
}

/** The bundled Llama model's id and folder (relative to the working directory, as `npm start` runs). */
export const BUNDLED_LLAMA = { id: 'oasis-tiny', folder: join('public', 'models', 'oasis-tiny') };

/**
 * Llama-family model folders the server trains, by id: the bundled `oasis-tiny`, plus
 * `OASIS_TRAINING_MODELS` (`id=folder,id=folder`). @throws Error naming a malformed entry
 */
export function llamaModelFolders(env: string | undefined = process.env.OASIS_TRAINING_MODELS): Map<string, string> {
	const folders = new Map([[BUNDLED_LLAMA.id, BUNDLED_LLAMA.folder]]);
	for (const entry of (env ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
		const eq = entry.indexOf('=');
		if (eq <= 0 || eq === entry.length - 1) throw new Error(`OASIS_TRAINING_MODELS: "${entry}" is not id=folder (e.g. oasis-tiny=public/models/oasis-tiny)`);
		folders.set(entry.slice(0, eq).trim(), entry.slice(eq + 1).trim());
	}
	return folders;
}

/**
 * A loader of Llama-family models from `folders` on one GPU context (created on first use and
 * shared by every model: Dawn in Node, lavapipe on a CPU-only machine). The kernels are
 * imported only when a job names such a model.
 */
export function llamaLoader(folders: ReadonlyMap<string, string>): Pick<TrainingRuntime, 'load' | 'loadable'> {
	const loaded = new Map<string, Promise<TrainingModel>>();
	return {
		loadable: () => [...folders.keys()],
		load(id) {
			const folder = folders.get(id);
			if (folder === undefined) return Promise.resolve(null);
			let model = loaded.get(id);
			if (!model) {
				model = import('./llama-model.js').then((m) => m.loadLlamaTrainingModel(id, folder));
				model.catch(() => loaded.delete(id));
				loaded.set(id, model);
			}
			return model;
		}
	};
}

/** The built-in models: only the tiny character bigram for now (GPU models register here later). */
export function builtinModels(): Map<string, TrainingModel> {
	return new Map([[bigramModel.id, bigramModel]]);
}

let current: TrainingRuntime | null = null;

/** The process's runtime (created from the environment on first use). */
export function trainingRuntime(): TrainingRuntime {
	current ??= {
		store: new FsBlobStore(process.env.OASIS_TRAINING_DIR ?? join('data', 'training')),
		// Read each time, as the snapshot router does, so both always name the same folder.
		get snapshots() {
			return defaultSnapshotStore();
		},
		models: builtinModels(),
		...llamaLoader(llamaModelFolders())
	};
	return current;
}

/** Replace the process's runtime (tests, or a server that installs GPU models); null resets it. */
export function setTrainingRuntime(runtime: TrainingRuntime | null): void {
	current = runtime;
}
