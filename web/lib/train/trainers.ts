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
import { SOURCE_LOCALE } from '../i18n';
import { t } from '../i18n/catalogue/training';
import type { TrainText } from './protocol';

type FatalKey = Extract<Parameters<typeof t>[0], `fatal${string}`>;

/**
 * A {@link WorkerFatal} worded from the catalogue: its message is the English sentence as the
 * shared loop words its stops (lower-case start, no full stop: the worker adds them), and `text`
 * carries the key and values so the page can word it in the interface language.
 */
export function trainerFatal(key: FatalKey, values: Record<string, string>): WorkerFatal & { text: TrainText } {
	const english = t.in(SOURCE_LOCALE, key, values).replace(/\.$/, '');
	return Object.assign(new WorkerFatal(english.charAt(0).toLowerCase() + english.slice(1)), { text: { key, values } });
}

/** A model this browser can train: what runs (shown before the volunteer consents) and how to get its trainer. */
export interface BrowserTrainer {
	/** What runs, for people (in the interface language when read). */
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
		throw trainerFatal('fatalNoGpu', { id });
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
		throw trainerFatal('fatalNoDevice', { id, error: (e as Error).message });
	}
	try {
		const url = new URL(path, globalThis.location?.href).href;
		const files = await openModel(cachedModelSource(url));
		return new LlamaLocalTrainer(ctx, files);
	} catch (e) {
		ctx.destroy();
		throw trainerFatal('fatalFiles', { id, error: (e as Error).message });
	}
}

const llamaTrainers = new Map<string, Promise<LocalTrainer>>();

function llamaEntry(id: string, path: string): BrowserTrainer {
	return {
		get describe() {
			return t('trainerLlama', { id });
		},
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
	[
		BIGRAM_MODEL_ID,
		{
			get describe() {
				return t('trainerBigram');
			},
			load: () => Promise.resolve(bigramTrainer)
		}
	],
	...[...BROWSER_LLAMA_MODELS].map(([id, path]) => [id, llamaEntry(id, path)] as const)
]);

/** The local trainer of `baseModel`. @throws WorkerFatal (in words) when this browser cannot train it */
export async function browserTrainerFor(baseModel: string): Promise<LocalTrainer> {
	const found = BROWSER_TRAINERS.get(baseModel);
	if (!found) {
		throw trainerFatal('fatalUntrainable', { model: baseModel, models: [...BROWSER_TRAINERS.keys()].join(', ') });
	}
	return found.load();
}
