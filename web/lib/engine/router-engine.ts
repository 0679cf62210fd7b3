/**
 * One {@link Engine} over several: `load(modelId)` looks the model up in the catalogue and hands
 * it to the backend its entry names (`oasis`, `transformers`, `webllm`); generation goes to the
 * backend that loaded the current model. Backends are created on first use (their factories may
 * import lazily), and switching backend unloads the previous one so only one model holds memory.
 */
import { findModel, type EngineKind, type ModelEntry } from './catalogue';
import { EngineError, engineError, toEngineError } from './errors';
import type { ChatCompletionChunk, ChatCompletionRequest, Engine, EngineInfo, ProgressCallback, RequestOptions, ScoreRequest, Scorer } from './types';

export type EngineFactories = { [K in EngineKind]?: () => Engine | Promise<Engine> };

export interface RouterEngineOptions {
	backends: EngineFactories;
	/** The catalogue lookup (the worker adds downloaded models; tests pass their own). */
	find?: (id: string) => ModelEntry | undefined | Promise<ModelEntry | undefined>;
}

const NAMES: Record<EngineKind, string> = { oasis: 'Oasis kernels', transformers: 'Transformers.js', webllm: 'WebLLM' };

export class RouterEngine implements Engine, Scorer {
	private readonly engines = new Map<EngineKind, Promise<Engine>>();
	private active: Engine | null = null;
	/** Serializes loads: a second load waits for the first, so two backends never load at once. */
	private loading: Promise<unknown> = Promise.resolve();

	constructor(private readonly options: RouterEngineOptions) {}

	private backend(kind: EngineKind): Promise<Engine> {
		let e = this.engines.get(kind);
		if (!e) {
			const make = this.options.backends[kind];
			if (!make) return Promise.reject(new EngineError('model-load', `This app build cannot run ${NAMES[kind]} models. Choose another model.`));
			e = Promise.resolve().then(make);
			// A failed import (offline before the chunk was cached) may succeed later: don't keep it.
			e.catch(() => this.engines.delete(kind));
			this.engines.set(kind, e);
		}
		return e;
	}

	load(modelId: string, onProgress?: ProgressCallback): Promise<EngineInfo> {
		const run = async () => {
			const entry = await (this.options.find ?? findModel)(modelId);
			if (!entry) throw new EngineError('model-load', `Unknown model '${modelId}'. Pick one from the list.`);
			let engine: Engine;
			try {
				engine = await this.backend(entry.engine);
			} catch (e) {
				const err = toEngineError(e);
				if (err.code !== 'internal') throw err;
				throw new EngineError('model-load', `The ${NAMES[entry.engine]} engine could not be loaded (${err.message}). Check your connection and try again.`);
			}
			if (this.active && this.active !== engine) {
				const previous = this.active;
				this.active = null;
				await previous.unload();
			}
			this.active = engine;
			return engine.load(modelId, onProgress);
		};
		const p = this.loading.then(run, run);
		this.loading = p.catch(() => undefined);
		return p;
	}

	async unload(): Promise<void> {
		const a = this.active;
		this.active = null;
		await a?.unload();
	}

	/**
	 * Scoring always runs in our own engine (a reward model is a SEQ_CLS adapter over an `oasis`
	 * model), whichever backend generates: the `oasis` backend is created for it if need be.
	 */
	async score(request: ScoreRequest, options?: RequestOptions): Promise<number[]> {
		const engine = (await this.backend('oasis')) as Engine & Partial<Scorer>;
		if (!engine.score) throw engineError('bad-request', 'errCannotScore');
		return engine.score(request, options);
	}

	readonly chat = {
		completions: {
			create: (request: ChatCompletionRequest, options?: RequestOptions): Promise<AsyncIterable<ChatCompletionChunk>> => {
				if (!this.active) return Promise.reject(new EngineError('not-loaded', 'No model is loaded; load one first.'));
				return this.active.chat.completions.create(request, options);
			}
		}
	};
}
