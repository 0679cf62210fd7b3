/**
 * The Llama training suites' model: a seeded random tiny Llama (TINY_SPEC, the bundled model's
 * shapes) with the bundled tokenizer and chat template, written to a temporary folder and loaded as
 * a training model before the suite; the GPU evaluator and the folder are released after it.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { TINY_SPEC } from '../../../kernels/models/make-tiny-model.js';
import { randomModel, writeHfFolder } from '../../../kernels/models/testing/fixtures.js';
import { loadLlamaTrainingModel, type LlamaTrainingModel } from '../llama-model.js';
import { setTrainingRuntime } from '../runtime.js';

export const TINY_MODEL_ID = 'oasis-tiny';
const BUNDLED = new URL('../../../public/models/oasis-tiny/', import.meta.url).pathname;

export interface TinyLlamaFixture {
	/** The suite's temporary folder (blob stores may live under it). */
	readonly dir: string;
	/** The model's Hugging Face folder inside `dir`. */
	readonly modelDir: string;
	/** The loaded training model (after `beforeAll`). */
	readonly model: LlamaTrainingModel;
}

/** Registers the suite hooks; `evalTokens` sizes the server-side held-out evaluation batch. */
export function useTinyLlamaModel(prefix: string, evalTokens: number): TinyLlamaFixture {
	const dir = mkdtempSync(join(tmpdir(), prefix));
	const modelDir = join(dir, TINY_MODEL_ID);
	let model: LlamaTrainingModel | undefined;
	beforeAll(async () => {
		const f = randomModel(TINY_SPEC);
		Object.assign(f.config, { bos_token_id: 1, eos_token_id: 2, max_position_embeddings: 2048 });
		await writeHfFolder(modelDir, f);
		for (const name of ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json']) copyFileSync(join(BUNDLED, name), join(modelDir, name));
		model = await loadLlamaTrainingModel(TINY_MODEL_ID, modelDir, { evalTokens });
	});
	afterAll(async () => {
		setTrainingRuntime(null);
		await model?.evaluator.dispose();
		rmSync(dir, { recursive: true, force: true });
	});
	return {
		dir,
		modelDir,
		get model() {
			if (!model) throw new Error('The tiny Llama model is loaded in beforeAll: use it inside tests or hooks.');
			return model;
		}
	};
}
