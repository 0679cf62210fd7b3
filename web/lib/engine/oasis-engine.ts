/**
 * Our own engine, in-thread: the kernels' LlamaModel behind the {@link Engine} interface.
 * It runs wherever it is created — engine.worker.ts hosts it so the page stays responsive.
 */
import { requestGpuContext, type GpuContext } from '../../../kernels/gpu/context';
import { LlamaModel, openModel, type ModelFiles } from '../../../kernels/models/index';
import { rewardInput, rewardWindow } from '../../../kernels/models/reward';
import { adapterModelId } from './adapters';
import { AsyncQueue } from './async-queue';
import type { ModelEntry } from './catalogue';
import { EngineError, engineError, toEngineError } from './errors';
import { cachedModelSource } from './model-source';
import { storedModel } from './download/source';
import { OASIS_MODELS } from './models';
import { makeChunk } from './protocol';
import type { ChatCompletionChunk, ChatCompletionMessage, ChatCompletionRequest, Engine, EngineInfo, ProgressCallback, RequestOptions, ScoreRequest, Scorer } from './types';

interface Loaded {
	id: string;
	files: ModelFiles;
	model: LlamaModel;
}

export interface OasisEngineOptions {
	/** `navigator.gpu` of the thread the engine runs in. */
	gpu: GPU | undefined;
	/** Default cap on generated tokens. */
	defaultMaxTokens?: number;
}

/** The model an adapter applies to: a catalogue model, or one downloaded to this device. */
async function baseModelOf(id: string): Promise<{ entry: { url: string }; stored: Awaited<ReturnType<typeof storedModel>> }> {
	const stored = await storedModel(id).catch(() => null);
	const entry = OASIS_MODELS.find((m) => m.id === id) ?? (stored?.manifest.entry.engine === 'oasis' ? stored.manifest.entry : undefined);
	if (!entry) throw new EngineError('model-load', `The adapter's base model '${id}' is not on this device. Download it on the Models page first.`);
	return { entry, stored };
}

export class OasisEngine implements Engine, Scorer {
	private ctx: GpuContext | null = null;
	private ctxLost = false;
	private loaded: Loaded | null = null;
	/** The reward model (a second LlamaModel with a SEQ_CLS adapter), kept between score calls. */
	private reward: Loaded | null = null;
	/** Serializes score calls: one reward model loads and scores at a time. */
	private scoring: Promise<unknown> = Promise.resolve();
	private generating = false;

	constructor(private readonly options: OasisEngineOptions) {}

	private async context(): Promise<GpuContext> {
		if (this.ctx && !this.ctxLost) return this.ctx;
		const ctx = await requestGpuContext(this.options.gpu);
		this.ctx = ctx;
		this.ctxLost = false;
		void ctx.device.lost.then((info) => {
			if (this.ctx === ctx && info.reason !== 'destroyed') {
				this.ctxLost = true;
				this.loaded = null;
				this.reward = null;
			}
		});
		return ctx;
	}

	async load(modelId: string, onProgress?: ProgressCallback): Promise<EngineInfo> {
		// A model downloaded on the Models page is read from the store (OPFS), with no network.
		const stored = await storedModel(modelId).catch(() => null);
		const entry = OASIS_MODELS.find((m) => m.id === modelId) ?? (stored?.manifest.entry.engine === 'oasis' ? stored.manifest.entry : undefined);
		if (!entry) throw new EngineError('model-load', `Unknown model '${modelId}'. Pick one from the list.`);
		const t0 = performance.now();
		try {
			if (this.loaded?.id !== modelId || this.ctxLost) {
				await this.unload();
				onProgress?.({ progress: 0, text: 'Starting the GPU…' });
				const ctx = await this.context();
				onProgress?.({ progress: 0.05, text: 'Reading the model…' });
				// A LoRA adapter (adapters.ts: its files are in the store) is merged into its base model as it loads.
				const lora = (entry as Pick<ModelEntry, 'adapter'>).adapter;
				const base = lora ? await baseModelOf(lora.baseModel) : { entry, stored };
				const adapter = lora ? stored!.source : null;
				const files = await openModel(base.stored?.source ?? cachedModelSource(base.entry.url, (url) => onProgress?.({ progress: 0.1, text: `Fetching ${url.split('/').pop()}…` })), (base.entry as Pick<ModelEntry, 'gguf'>).gguf ?? null, { adapter });
				if (!files.tokenizer) throw new EngineError('model-load', `${entry.name} has no tokenizer.json.`);
				const model = await LlamaModel.load(ctx, files, {
					quant: 'none',
					maxSeq: entry.maxSeq,
					onProgress: (done, total) => onProgress?.({ progress: 0.1 + (0.9 * done) / total, text: `Loading weights ${done}/${total}` })
				});
				this.loaded = { id: modelId, files, model };
			}
			onProgress?.({ progress: 1, text: 'Ready' });
			const ctx = this.ctx!;
			return { modelId, adapter: ctx.info.description || ctx.info.vendor || 'WebGPU', f16: ctx.features.f16, loadMs: performance.now() - t0 };
		} catch (e) {
			throw toEngineError(e);
		}
	}

	async unload(): Promise<void> {
		const l = this.loaded;
		this.loaded = null;
		if (l && !this.ctxLost) l.model.destroy();
	}

	/**
	 * One reward per conversation from the reward job's adapter over its base model, both read from
	 * this device (the adapter from the model store, the base model bundled or downloaded). The
	 * reward model is loaded once and kept while later requests name the same adapter.
	 */
	score(request: ScoreRequest, options: RequestOptions = {}): Promise<number[]> {
		const run = async () => {
			try {
				const model = await this.rewardModel(request);
				// The reward job's own window (what its head was trained on), within the loaded context.
				const window = rewardWindow(model.model.maxSeq, request.sequenceTokens);
				const out: number[] = [];
				for (const conversation of request.conversations) {
					if (options.signal?.aborted) throw engineError('bad-request', 'errScoreStopped');
					out.push(await model.model.score(rewardInput(model.files.tokenizer!, conversation, window)));
				}
				return out;
			} catch (e) {
				throw toEngineError(e);
			}
		};
		const p = this.scoring.then(run, run);
		this.scoring = p.catch(() => undefined);
		return p;
	}

	private async rewardModel(request: ScoreRequest): Promise<Loaded> {
		const id = adapterModelId(request.baseModel, request.jobId, request.version);
		if (this.reward?.id === id && !this.ctxLost) return this.reward;
		const previous = this.reward;
		this.reward = null;
		if (previous && !this.ctxLost) previous.model.destroy();
		const stored = await storedModel(id).catch(() => null);
		const lora = (stored?.manifest.entry as Pick<ModelEntry, 'adapter'> | undefined)?.adapter;
		if (!stored || !lora) throw engineError('model-load', 'errNotDownloaded', { name: `reward model ${id}` });
		const base = await baseModelOf(lora.baseModel);
		const ctx = await this.context();
		const files = await openModel(base.stored?.source ?? cachedModelSource(base.entry.url), null, { adapter: stored.source });
		if (!files.tokenizer) throw engineError('model-load', 'errNoTokenizer', { name: lora.baseModel });
		const maxSeq = (base.entry as Partial<Pick<ModelEntry, 'maxSeq'>>).maxSeq;
		const model = await LlamaModel.load(ctx, files, { quant: 'none', maxSeq });
		if (!model.canScore) {
			model.destroy();
			throw engineError('bad-request', 'errNotReward', { name: stored.manifest.entry.name });
		}
		this.reward = { id, files, model };
		return this.reward;
	}

	/** The prompt ids: the chat template, or for a trailing assistant message its continuation. */
	private encode(files: ModelFiles, messages: ChatCompletionMessage[], continueFinal: boolean): number[] {
		const tok = files.tokenizer!;
		const last = messages.at(-1);
		if (continueFinal && last?.role === 'assistant' && messages.length > 1) {
			return [...tok.encodeChat(messages.slice(0, -1)), ...tok.encode(last.content, false)];
		}
		return tok.encodeChat(messages);
	}

	readonly chat = {
		completions: {
			create: async (request: ChatCompletionRequest, options: RequestOptions = {}): Promise<AsyncIterable<ChatCompletionChunk>> => {
				const l = this.loaded;
				if (!l) throw new EngineError('not-loaded', this.ctxLost ? 'The GPU was reset; load the model again.' : 'No model is loaded; load one first.');
				if (this.generating) throw new EngineError('busy', 'A reply is being generated; stop it or wait for it to finish.');
				if (!request.messages?.length) throw new EngineError('bad-request', 'messages must hold at least one message.');
				const maxTokens = request.max_tokens ?? this.options.defaultMaxTokens ?? 256;
				if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new EngineError('bad-request', `max_tokens must be a positive integer, got ${maxTokens}.`);

				let messages = request.messages;
				let prompt = this.encode(l.files, messages, request.continue_final_message ?? true);
				// Too long for the context: drop the oldest turns (the system prompt stays).
				while (prompt.length + 1 > l.model.maxSeq && messages.length > 2) {
					const first = messages[0].role === 'system' ? 1 : 0;
					messages = [...messages.slice(0, first), ...messages.slice(first + 1)];
					prompt = this.encode(l.files, messages, request.continue_final_message ?? true);
				}
				const ctl = new AbortController();
				const queue = new AsyncQueue<ChatCompletionChunk>(() => ctl.abort());
				options.signal?.addEventListener('abort', () => ctl.abort(), { once: true });
				if (options.signal?.aborted) ctl.abort();

				const id = `chatcmpl-${crypto.randomUUID()}`;
				const decoder = l.files.tokenizer!.streamDecoder();
				let first = true;
				const emit = (text: string) => {
					if (!text) return;
					queue.push(makeChunk(id, l.id, text, null, first));
					first = false;
				};
				this.generating = true;
				l.model
					.generate(prompt, {
						maxTokens,
						sampling: {
							temperature: request.temperature,
							topK: request.top_k,
							topP: request.top_p,
							minP: request.min_p,
							typicalP: request.typical_p,
							repetitionPenalty: request.repetition_penalty
						},
						seed: request.seed ?? Math.floor(Math.random() * 2 ** 31),
						signal: ctl.signal,
						onToken: (tok) => emit(decoder.push(tok))
					})
					.then(
						(r) => {
							emit(decoder.flush());
							const last = makeChunk(id, l.id, undefined, r.finishReason, first);
							last.usage = { prompt_tokens: r.promptTokens, completion_tokens: r.ids.length, total_tokens: r.promptTokens + r.ids.length };
							queue.push(last);
							queue.end();
						},
						(e) => queue.fail(toEngineError(e))
					)
					.finally(() => (this.generating = false));
				return queue;
			}
		}
	};
}
