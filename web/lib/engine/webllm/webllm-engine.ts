/**
 * WebLLM (MLC) behind our {@link Engine}: web-llm's own `MLCEngine`, run in-thread. Our engine
 * worker already hosts engines off the UI thread, so web-llm's WebWorkerMLCEngine would only add
 * a second worker and a second message protocol in between. web-llm is imported on first load
 * (its chunk is ~6 MB: never in the shell or the precache); it fetches and caches its own weights
 * and wasm (Cache Storage), so the first load needs the internet.
 */
import { findModel } from '../catalogue';
import { EngineError } from '../errors';
import type { ChatCompletionChunk, ChatCompletionRequest, Engine, EngineInfo, ProgressCallback, RequestOptions } from '../types';
import { ChunkMapper, toLoadProgress, toWebLlmError, toWebLlmRequest, type WebLlmChunk, type WebLlmRequest } from './mapping';

type WebLlmModule = typeof import('@mlc-ai/web-llm');

/** What we use of web-llm's MLCEngine. */
interface MlcEngine {
	reload(modelId: string): Promise<void>;
	unload(): Promise<void>;
	interruptGenerate(): void | Promise<void>;
	setInitProgressCallback(cb: (r: { progress: number; text: string }) => void): void;
	getGPUVendor(): Promise<string>;
	chat: { completions: { create(request: WebLlmRequest): Promise<AsyncIterable<WebLlmChunk>> } };
}

export interface WebLlmEngineOptions {
	/** Default cap on generated tokens. */
	defaultMaxTokens?: number;
	/** How web-llm is loaded (the default: a dynamic import, a separate chunk). */
	importWebLlm?: () => Promise<WebLlmModule>;
}

export class WebLlmEngine implements Engine {
	private engine: MlcEngine | null = null;
	private loadedId: string | null = null;
	private generating = false;

	constructor(private readonly options: WebLlmEngineOptions = {}) {}

	private async mlc(): Promise<MlcEngine> {
		if (this.engine) return this.engine;
		const webllm = await (this.options.importWebLlm ?? (() => import('@mlc-ai/web-llm')))();
		this.engine = new webllm.MLCEngine({ appConfig: webllm.prebuiltAppConfig }) as unknown as MlcEngine;
		return this.engine;
	}

	async load(modelId: string, onProgress?: ProgressCallback): Promise<EngineInfo> {
		const entry = findModel(modelId);
		if (entry?.engine !== 'webllm' || !entry.webllm) throw new EngineError('model-load', `Unknown WebLLM model '${modelId}'. Pick one from the Models page.`);
		const t0 = performance.now();
		try {
			onProgress?.({ progress: 0, text: 'Loading WebLLM…' });
			const engine = await this.mlc();
			if (this.loadedId !== modelId) {
				this.loadedId = null;
				engine.setInitProgressCallback((r) => onProgress?.(toLoadProgress(r)));
				await engine.reload(entry.webllm.modelId);
				this.loadedId = modelId;
			}
			onProgress?.({ progress: 1, text: 'Ready' });
			const vendor = await engine.getGPUVendor().catch(() => '');
			return { modelId, adapter: vendor || 'WebGPU (WebLLM)', f16: entry.requires.shaderF16, loadMs: performance.now() - t0 };
		} catch (e) {
			throw toWebLlmError(e);
		}
	}

	async unload(): Promise<void> {
		this.loadedId = null;
		await this.engine?.unload();
	}

	readonly chat = {
		completions: {
			create: async (request: ChatCompletionRequest, options: RequestOptions = {}): Promise<AsyncIterable<ChatCompletionChunk>> => {
				const engine = this.engine;
				const model = this.loadedId;
				if (!engine || !model) throw new EngineError('not-loaded', 'No model is loaded; load one first.');
				if (this.generating) throw new EngineError('busy', 'A reply is being generated; stop it or wait for it to finish.');
				const req = toWebLlmRequest(request, this.options.defaultMaxTokens);
				this.generating = true;
				let stream: AsyncIterable<WebLlmChunk>;
				try {
					stream = await engine.chat.completions.create(req);
				} catch (e) {
					this.generating = false;
					throw toWebLlmError(e);
				}
				const signal = options.signal;
				const stop = () => void engine.interruptGenerate();
				signal?.addEventListener('abort', stop, { once: true });
				if (signal?.aborted) stop();
				const mapper = new ChunkMapper(`chatcmpl-${crypto.randomUUID()}`, model);
				const done = () => (this.generating = false);
				return (async function* () {
					let ended = false;
					try {
						for await (const c of stream) yield* mapper.push(c);
						ended = true;
						yield* mapper.end(!!signal?.aborted);
					} catch (e) {
						ended = true;
						throw toWebLlmError(e);
					} finally {
						// A consumer that stops reading stops the generation too.
						if (!ended) stop();
						signal?.removeEventListener('abort', stop);
						done();
					}
				})();
			}
		}
	};
}
