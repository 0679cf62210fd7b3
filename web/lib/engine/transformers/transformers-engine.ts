/**
 * The Transformers.js engine: ONNX models (the catalogue's `transformers` entries) through
 * `@huggingface/transformers` on onnxruntime-web, on WebGPU or on WASM (CPU), behind the one
 * OpenAI-shaped {@link Engine}. The library is imported on first load only, never by the shell.
 *
 * Models load only from our origin (`env.allowRemoteModels = false`, the entry's folder as
 * `localModelPath`) or, for a downloaded (not bundled) entry, from this device's model store with
 * no network at all (store-cache.ts: Transformers.js's custom-cache hook), and onnxruntime-web's
 * wasm comes from our own build (`wasmPaths`, given by the worker from ort-assets.ts), never a CDN.
 */
import type { ModelEntry } from '../catalogue';
import { findModel } from '../catalogue';
import { AsyncQueue } from '../async-queue';
import { EngineError, toEngineError } from '../errors';
import { makeChunk } from '../protocol';
import type { StoredCache } from '../download/cache';
import { filterBatch } from './sampling';
import { STORE_BASE, StoreCache, cacheStorageFallback, guardStoreFetch } from './store-cache';
import type { ChatCompletionChunk, ChatCompletionMessage, ChatCompletionRequest, Engine, EngineInfo, LoadProgress, ProgressCallback, RequestOptions } from '../types';

type Transformers = typeof import('@huggingface/transformers');
type Tokenizer = Awaited<ReturnType<Transformers['AutoTokenizer']['from_pretrained']>>;
type CausalLM = Awaited<ReturnType<Transformers['AutoModelForCausalLM']['from_pretrained']>>;
type TransformersEntry = ModelEntry & { engine: 'transformers'; url: string; transformers: NonNullable<ModelEntry['transformers']> };

/** Where onnxruntime-web's WebAssembly files are served from (our build, not a CDN). */
export interface OrtWasmPaths {
	mjs: string;
	wasm: string;
}

export interface TransformersEngineOptions {
	/** `navigator.gpu` of the thread the engine runs in (WebGPU entries need it). */
	gpu: GPU | undefined;
	/** onnxruntime-web's wasm files; required in browsers. */
	wasmPaths?: OrtWasmPaths;
	/** Default cap on generated tokens. */
	defaultMaxTokens?: number;
	/**
	 * Runs every entry on this device instead of the entry's: 'cpu' is onnxruntime-node, for
	 * tests in Node (where `localModelPath` is a folder on disk).
	 */
	deviceOverride?: 'cpu';
	/** Folder that holds the model folders, for tests in Node; in browsers the entry's URL decides. */
	localModelPath?: string;
	/** The catalogue lookup (the worker adds downloaded models; tests pass their own entries). */
	find?: (id: string) => ModelEntry | undefined | Promise<ModelEntry | undefined>;
	/**
	 * The complete download of a model on this device, or null: how a catalogue entry that is not
	 * bundled is read (the worker passes the OPFS store's, tests a memory store's).
	 */
	stored?: (modelId: string) => Promise<StoredCache | null>;
}

interface Loaded {
	entry: TransformersEntry;
	tokenizer: Tokenizer;
	model: CausalLM;
	eos: Set<number>;
	info: Omit<EngineInfo, 'loadMs'>;
}

function isTransformersEntry(e: ModelEntry | undefined): e is TransformersEntry {
	return !!e && e.engine === 'transformers' && typeof e.url === 'string' && !!e.transformers;
}

/** Splits '/models/oasis-tiny-onnx/' into the folder Transformers.js searches and the model id. */
export function splitModelUrl(url: string): { localModelPath: string; id: string } {
	const m = /^(.*\/)?([^/]+)\/?$/.exec(url);
	if (!m) throw new EngineError('bad-request', `The model URL '${url}' names no folder.`);
	return { localModelPath: m[1] ?? '/', id: m[2] };
}

/** Maps what Transformers.js and onnxruntime-web throw to an {@link EngineError} with a remedy. */
export function toTransformersError(e: unknown, entry?: ModelEntry): EngineError {
	const base = toEngineError(e);
	if (e instanceof EngineError || base.code === 'device-lost' || base.code === 'out-of-memory') return base;
	const message = e instanceof Error ? e.message : String(e);
	const name = entry?.name ?? 'The model';
	if (/webgpu|no available backend|requestAdapter|GPUAdapter|adapter/i.test(message) && !/out of memory/i.test(message)) {
		return new EngineError('no-webgpu', `${name} could not start on the GPU (${message}). Choose its WASM (CPU) version, or use Chrome or Edge 113+ with hardware acceleration on.`);
	}
	if (/could not locate file|unable to load from local path|failed to fetch|networkerror|404|not found|local models/i.test(message)) {
		return new EngineError('model-load', `${name} could not be downloaded (${message}). Check your connection and try again.`);
	}
	if (/protobuf|invalid model|load model|onnx/i.test(message) && !/memory/i.test(message)) {
		return new EngineError('model-load', `${name}'s files are damaged or not a model this app can run (${message}). Delete it on the Models page and download it again.`);
	}
	return base;
}

/** Per-file download fractions reported by Transformers.js, averaged into one progress line. */
class ProgressTracker {
	private readonly files = new Map<string, number>();
	constructor(
		private readonly report: (p: LoadProgress) => void,
		private readonly line = (file: string) => `Fetching ${file}…`
	) {}

	update(info: unknown): void {
		const p = info as { status?: string; file?: string; progress?: number };
		if (!p.file) return;
		if (p.status === 'initiate' || p.status === 'download') this.files.set(p.file, this.files.get(p.file) ?? 0);
		else if (p.status === 'progress' && typeof p.progress === 'number') this.files.set(p.file, Math.min(1, p.progress / 100));
		else if (p.status === 'done') this.files.set(p.file, 1);
		else return;
		const fractions = [...this.files.values()];
		const done = fractions.reduce((a, b) => a + b, 0) / fractions.length;
		this.report({ progress: 0.05 + 0.85 * done, text: this.line(p.file.split('/').pop()!) });
	}
}

/** A Transformers.js logits processor running {@link filterBatch} (the class comes from the lazily loaded library). */
function nucleusProcessor(lib: Transformers, topP: number, minP: number): InstanceType<Transformers['LogitsProcessor']> {
	class Nucleus extends lib.LogitsProcessor {
		_call(_ids: bigint[][], logits: InstanceType<Transformers['Tensor']>) {
			filterBatch(logits.data as Float32Array, logits.dims.at(-1)!, topP, minP);
			return logits;
		}
	}
	return new Nucleus();
}

/**
 * Makes each forward pass start in a new task: onnxruntime-web's WASM backend resolves its runs
 * with microtasks only, so without this the worker never handles the page's "stop" message until
 * the whole reply is done.
 */
function yieldBetweenSteps(model: CausalLM): void {
	const m = model as unknown as { forward: (inputs: unknown) => Promise<unknown> };
	const forward = m.forward.bind(model);
	m.forward = async (inputs) => {
		await new Promise((resolve) => setTimeout(resolve, 0));
		return forward(inputs);
	};
}

/**
 * Streams text token by token (Transformers.js's TextStreamer waits for a space or a newline):
 * each new token's text is the new suffix of the decoded reply, held back while it ends in an
 * incomplete UTF-8 sequence (U+FFFD). The first `put` is the prompt and is skipped.
 */
function tokenStreamer(lib: Transformers, tokenizer: Tokenizer, emit: (text: string) => void, onToken: () => void): InstanceType<Transformers['BaseStreamer']> {
	class TokenStreamer extends lib.BaseStreamer {
		private prompt = true;
		private readonly ids: number[] = [];
		private printed = 0;
		put(value: bigint[][]): void {
			if (this.prompt) {
				this.prompt = false;
				return;
			}
			for (const id of value[0] ?? []) this.ids.push(Number(id));
			onToken();
			this.flush(false);
		}
		end(): void {
			this.flush(true);
		}
		private flush(final: boolean): void {
			const text = tokenizer.decode(this.ids, { skip_special_tokens: true });
			if (!final && text.endsWith('\uFFFD')) return;
			if (text.length > this.printed) emit(text.slice(this.printed));
			this.printed = Math.max(this.printed, text.length);
		}
	}
	return new TokenStreamer();
}

export class TransformersEngine implements Engine {
	private lib: Transformers | null = null;
	private loaded: Loaded | null = null;
	/** Transformers.js's cache: the mounted downloaded model, else Cache Storage as by default. */
	private readonly cache = new StoreCache(cacheStorageFallback('transformers-cache'));
	private generating = false;

	constructor(private readonly options: TransformersEngineOptions) {}

	private async library(): Promise<Transformers> {
		if (this.lib) return this.lib;
		const lib = await import('@huggingface/transformers');
		const { env } = lib;
		env.allowRemoteModels = false;
		env.allowLocalModels = true;
		env.fetch = guardStoreFetch(env.fetch);
		// Never fetched (allowRemoteModels is false): this only names the cache key Transformers.js
		// reads a file back by, which must then be the store URL too (Node's path, return_path).
		env.remoteHost = STORE_BASE;
		env.remotePathTemplate = '{model}/';
		const onnx = env.backends.onnx as { wasm?: { wasmPaths?: unknown; numThreads?: number; proxy?: boolean }; logLevel?: string };
		if (onnx.wasm && this.options.wasmPaths) {
			onnx.wasm.wasmPaths = { ...this.options.wasmPaths };
			// Threads need cross-origin isolation (SharedArrayBuffer); without it, one thread.
			if (!(globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated) onnx.wasm.numThreads = 1;
		}
		this.lib = lib;
		return lib;
	}

	async load(modelId: string, onProgress?: ProgressCallback): Promise<EngineInfo> {
		const entry = await (this.options.find ?? findModel)(modelId);
		if (!isTransformersEntry(entry)) throw new EngineError('model-load', `Unknown model '${modelId}' for the Transformers.js engine. Pick one from the list.`);
		const t0 = performance.now();
		try {
			if (this.loaded?.entry.id !== modelId) {
				await this.unload();
				const { dtype } = entry.transformers;
				const device = this.options.deviceOverride ?? entry.transformers.device;
				let adapterName = device === 'wasm' ? 'WebAssembly (CPU)' : 'CPU (onnxruntime-node)';
				let f16 = false;
				if (device === 'webgpu') {
					onProgress?.({ progress: 0, text: 'Starting the GPU…' });
					const adapter = await this.options.gpu?.requestAdapter();
					if (!adapter) throw new EngineError('no-webgpu', `This browser cannot run ${entry.name} on the GPU (no WebGPU adapter). Choose its WASM (CPU) version, or use Chrome or Edge 113+ with hardware acceleration on.`);
					f16 = adapter.features.has('shader-f16');
					if ((dtype === 'fp16' || dtype === 'q4f16') && !f16) {
						throw new EngineError('no-webgpu', `${entry.name} needs 16-bit GPU floats (shader-f16), which this GPU lacks. Choose a q4 or WASM version of the model.`);
					}
					adapterName = adapter.info?.description || adapter.info?.vendor || 'WebGPU';
				}
				// A downloaded model is read from this device's store, never the network.
				const stored = entry.bundled ? null : await this.options.stored?.(modelId).catch(() => null);
				if (!entry.bundled && !stored) throw new EngineError('model-load', `${entry.name} is not downloaded to this device yet. Download it on the Models page, then choose it again.`);
				onProgress?.({ progress: 0.02, text: 'Loading Transformers.js…' });
				const lib = await this.library();
				let where: { localModelPath: string; id: string };
				if (stored) {
					where = { localModelPath: STORE_BASE, id: this.cache.mount(stored) };
				} else {
					this.cache.unmount();
					where = splitModelUrl(entry.url);
					if (this.options.localModelPath) where.localModelPath = this.options.localModelPath;
				}
				lib.env.localModelPath = where.localModelPath;
				// `env` is the library's, shared by every engine in this thread: ours is set per load.
				lib.env.useCustomCache = true;
				lib.env.customCache = this.cache;
				const tracker = new ProgressTracker((p) => onProgress?.(p), stored ? (file) => `Reading ${file} from this device…` : undefined);
				const progress_callback = (p: unknown) => tracker.update(p);
				const tokenizer = await lib.AutoTokenizer.from_pretrained(where.id, { progress_callback });
				const model = await lib.AutoModelForCausalLM.from_pretrained(where.id, { dtype, device, progress_callback });
				yieldBetweenSteps(model);
				const eosRaw = (model as unknown as { generation_config?: { eos_token_id?: number | number[] | null } }).generation_config?.eos_token_id;
				const eos = new Set<number>(eosRaw == null ? [] : Array.isArray(eosRaw) ? eosRaw : [eosRaw]);
				this.loaded = { entry, tokenizer, model, eos, info: { modelId, adapter: `${adapterName} · Transformers.js ${dtype}`, f16: f16 && dtype.endsWith('f16') } };
			}
			onProgress?.({ progress: 1, text: 'Ready' });
			return { ...this.loaded.info, loadMs: performance.now() - t0 };
		} catch (e) {
			await this.unload().catch(() => undefined);
			throw toTransformersError(e, entry);
		}
	}

	async unload(): Promise<void> {
		const l = this.loaded;
		this.loaded = null;
		this.cache.unmount();
		if (l) await l.model.dispose();
	}

	/** Token ids of the chat template, or for a trailing assistant message its continuation. */
	private encode(l: Loaded, messages: ChatCompletionMessage[], continueFinal: boolean): number[] {
		const last = messages.at(-1);
		const cont = continueFinal && last?.role === 'assistant' && messages.length > 1;
		const text = l.tokenizer.apply_chat_template(cont ? messages.slice(0, -1) : messages, { tokenize: false, add_generation_prompt: true }) as string;
		const ids = (s: string) => l.tokenizer.encode(s, { add_special_tokens: false });
		return cont ? [...ids(text), ...ids(last!.content)] : ids(text);
	}

	readonly chat = {
		completions: {
			create: async (request: ChatCompletionRequest, options: RequestOptions = {}): Promise<AsyncIterable<ChatCompletionChunk>> => {
				const l = this.loaded;
				const lib = this.lib;
				if (!l || !lib) throw new EngineError('not-loaded', 'No model is loaded; load one first.');
				if (this.generating) throw new EngineError('busy', 'A reply is being generated; stop it or wait for it to finish.');
				if (!request.messages?.length) throw new EngineError('bad-request', 'messages must hold at least one message.');
				const maxTokens = request.max_tokens ?? this.options.defaultMaxTokens ?? 256;
				if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new EngineError('bad-request', `max_tokens must be a positive integer, got ${maxTokens}.`);
				const topP = request.top_p ?? 1;
				const minP = request.min_p ?? 0;
				if (!(topP > 0 && topP <= 1) || !(minP >= 0 && minP < 1)) throw new EngineError('bad-request', `top_p must be in (0, 1] and min_p in [0, 1), got ${topP} and ${minP}.`);
				const continueFinal = request.continue_final_message ?? true;

				let messages = request.messages;
				let prompt = this.encode(l, messages, continueFinal);
				// Too long for the context: drop the oldest turns (the system prompt stays).
				while (prompt.length + 1 > l.entry.maxSeq && messages.length > 2) {
					const first = messages[0].role === 'system' ? 1 : 0;
					messages = [...messages.slice(0, first), ...messages.slice(first + 1)];
					prompt = this.encode(l, messages, continueFinal);
				}
				if (prompt.length + 1 > l.entry.maxSeq) throw new EngineError('out-of-memory', `The message is too long for ${l.entry.name} (${prompt.length} tokens, at most ${l.entry.maxSeq - 1}). Shorten it or start a new chat.`);
				const maxNew = Math.min(maxTokens, l.entry.maxSeq - prompt.length);

				const stop = new lib.InterruptableStoppingCriteria();
				const queue = new AsyncQueue<ChatCompletionChunk>(() => stop.interrupt());
				const onAbort = () => stop.interrupt();
				options.signal?.addEventListener('abort', onAbort, { once: true });
				if (options.signal?.aborted) stop.interrupt();

				const id = `chatcmpl-${crypto.randomUUID()}`;
				let first = true;
				let generated = 0;
				const emit = (text: string) => {
					if (!text) return;
					queue.push(makeChunk(id, l.entry.id, text, null, first));
					first = false;
				};
				const streamer = tokenStreamer(lib, l.tokenizer, emit, () => generated++);
				const temperature = request.temperature ?? 0.7;
				const sample = temperature > 0;
				// Transformers.js applies temperature and top-k; top-p and min-p are ours. No typical-p.
				const logits_processor = sample && (topP < 1 || minP > 0) ? [nucleusProcessor(lib, topP, minP)] : null;
				if (sample) lib.random.seed(request.seed);
				const input_ids = new lib.Tensor('int64', BigInt64Array.from(prompt, BigInt), [1, prompt.length]);
				const attention_mask = new lib.Tensor('int64', new BigInt64Array(prompt.length).fill(1n), [1, prompt.length]);
				this.generating = true;
				void (async () => {
					try {
						const out = (await l.model.generate({
							input_ids,
							attention_mask,
							max_new_tokens: maxNew,
							do_sample: sample,
							...(sample ? { temperature, top_k: request.top_k ?? 0 } : {}),
							logits_processor,
							repetition_penalty: request.repetition_penalty ?? 1,
							streamer,
							stopping_criteria: [stop]
						} as unknown as Parameters<CausalLM['generate']>[0])) as unknown as { data: BigInt64Array };
						const ids = Array.from(out.data, Number).slice(prompt.length);
						const lastId = ids.at(-1);
						const finish = stop.interrupted ? 'abort' : lastId !== undefined && l.eos.has(lastId) ? 'stop' : ids.length >= maxNew ? 'length' : 'stop';
						const done = makeChunk(id, l.entry.id, undefined, finish, first);
						done.usage = { prompt_tokens: prompt.length, completion_tokens: ids.length || generated, total_tokens: prompt.length + (ids.length || generated) };
						queue.push(done);
						queue.end();
					} catch (e) {
						queue.fail(toTransformersError(e, l.entry));
					} finally {
						options.signal?.removeEventListener('abort', onAbort);
						this.generating = false;
					}
				})();
				return queue;
			}
		}
	};
}
