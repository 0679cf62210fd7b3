/**
 * Which base models the browser worker trains, and with what: the shared worker's local trainers
 * (server/training/worker/local.ts, ./llama.ts). The server's model registry decides which models
 * jobs may name; this decides which of them a browser can train.
 *
 * - `oasis/char-bigram` (the server's built-in job model: 9,604 parameters): AdamW on the CPU
 *   inside the Web Worker.
 * - `oasis-tiny` (the bundled Llama-family model, the server's `BUNDLED_LLAMA`): kernels/train
 *   `LlamaTrainer` on the worker's own WebGPU device (`navigator.gpu`; f32 where the adapter
 *   lacks shader-f16), through the shared `LlamaLocalTrainer`. Its files come from this site's
 *   `/models/oasis-tiny/` (the same folder the server trains from, `public/models/oasis-tiny`),
 *   kept in Cache Storage like the chat engine's copy (web/lib/engine/model-source.ts), and its
 *   tokenizer and chat template are the model's own, read by the same `openModel` the server uses:
 *   both sides tokenize alike (server/training/tokenize.ts), so credited tokens are trained tokens.
 *
 * The kernels, the model loader and the GPU load only when a job names a Llama model (dynamic
 * imports: separate chunks, runtime-cached, never precached). Models a server adds with
 * `OASIS_TRAINING_MODELS` live only on its disk: such jobs stop the browser worker with a
 * sentence pointing to the headless worker.
 */
import { BIGRAM_MODEL_ID } from '../../../server/training/bigram';
import { WorkerFatal } from '../../../server/training/worker/loop';
import { bigramTrainer, type LocalTrainer } from '../../../server/training/worker/local';

/** A model this browser can train: what runs (shown before the volunteer consents) and how to get its trainer. */
export interface BrowserTrainer {
	describe: string;
	/** The trainer (loaded once per worker). @throws WorkerFatal in words when this browser cannot train it */
	load(): Promise<LocalTrainer>;
}

/** The bundled Llama model's id (server/training/runtime.ts `BUNDLED_LLAMA`) and where this site serves it. */
export const BROWSER_LLAMA_MODELS: ReadonlyMap<string, string> = new Map([['oasis-tiny', '/models/oasis-tiny/']]);

/** The `navigator.gpu` of this scope (a page or a Web Worker), if any. */
function scopeGpu(): GPU | undefined {
	return (globalThis.navigator as (Navigator & { gpu?: GPU }) | undefined)?.gpu;
}

/** A Llama trainer on this scope's WebGPU device, over the model files served at `path`. @throws WorkerFatal */
export async function loadBrowserLlamaTrainer(id: string, path: string, gpu: GPU | undefined = scopeGpu()): Promise<LocalTrainer> {
	if (!gpu) {
		throw new WorkerFatal(
			`this job trains ${id}, which needs WebGPU, and this browser offers none to the training worker. Use a browser with WebGPU (Chrome or Edge 113 or later), or run the headless worker: npx oasis worker`
		);
	}
	const [{ requestGpuContext }, { openModel }, { cachedModelSource }, { LlamaLocalTrainer }] = await Promise.all([
		import('../../../kernels/gpu/context'),
		import('../../../kernels/models/model-files'),
		import('../engine/model-source'),
		import('../../../server/training/worker/llama')
	]);
	let ctx;
	try {
		ctx = await requestGpuContext(gpu);
	} catch (e) {
		throw new WorkerFatal(`this job trains ${id}, which needs WebGPU, and no WebGPU device could be opened (${(e as Error).message}). Try another browser, or run the headless worker: npx oasis worker`);
	}
	try {
		const url = new URL(path, globalThis.location?.href).href;
		const files = await openModel(cachedModelSource(url));
		return new LlamaLocalTrainer(ctx, files);
	} catch (e) {
		ctx.destroy();
		throw new WorkerFatal(`the files of ${id} could not be read from this site (${(e as Error).message}). Check your connection and start again`);
	}
}

const llamaTrainers = new Map<string, Promise<LocalTrainer>>();

function llamaEntry(id: string, path: string): BrowserTrainer {
	return {
		describe: `the Llama-family model ${id} (LoRA adapters or all its weights, as the job says), trained with AdamW on your GPU through WebGPU; its files (a few MB) are downloaded once and kept in this browser`,
		load() {
			let t = llamaTrainers.get(id);
			if (!t) {
				t = loadBrowserLlamaTrainer(id, path);
				t.catch(() => llamaTrainers.delete(id));
				llamaTrainers.set(id, t);
			}
			return t;
		}
	};
}

/** Trainers by base model id. */
export const BROWSER_TRAINERS: ReadonlyMap<string, BrowserTrainer> = new Map([
	[BIGRAM_MODEL_ID, { describe: 'a character bigram model (9,604 numbers), trained with AdamW on your processor', load: () => Promise.resolve(bigramTrainer) }],
	...[...BROWSER_LLAMA_MODELS].map(([id, path]) => [id, llamaEntry(id, path)] as const)
]);

/** The local trainer of `baseModel`. @throws WorkerFatal (in words) when this browser cannot train it */
export async function browserTrainerFor(baseModel: string): Promise<LocalTrainer> {
	const found = BROWSER_TRAINERS.get(baseModel);
	if (!found) {
		throw new WorkerFatal(
			`this job trains ${baseModel}, which the browser worker cannot train (it trains ${[...BROWSER_TRAINERS.keys()].join(', ')}). Pick another job, or run the headless worker: npx oasis worker`
		);
	}
	return found.load();
}
