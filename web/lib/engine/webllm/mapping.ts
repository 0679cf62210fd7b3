/**
 * Pure translations between our engine interface and web-llm's: requests, streamed chunks, load
 * progress and errors. Kept apart from webllm-engine.ts so they are tested without web-llm.
 */
import { EngineError, toEngineError } from '../errors';
import { makeChunk } from '../protocol';
import type { ChatCompletionChunk, ChatCompletionRequest, FinishReason, LoadProgress } from '../types';

/** The subset of web-llm's streaming ChatCompletionRequest we send. */
export interface WebLlmRequest {
	messages: { role: 'system' | 'user' | 'assistant'; content: string }[];
	stream: true;
	stream_options: { include_usage: true };
	max_tokens?: number;
	temperature?: number;
	top_p?: number;
	repetition_penalty?: number;
	seed?: number;
}

/** The subset of web-llm's ChatCompletionChunk we read. */
export interface WebLlmChunk {
	id: string;
	choices: { delta: { content?: string | null; role?: string }; finish_reason: string | null; index: number }[];
	usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
}

/**
 * Our request as web-llm's. web-llm has no top_k, min_p or typical_p in its OpenAI API (they are
 * left out: its defaults apply) and cannot continue a cut-off assistant reply.
 */
export function toWebLlmRequest(request: ChatCompletionRequest, defaultMaxTokens = 256): WebLlmRequest {
	const messages = request.messages ?? [];
	if (!messages.length) throw new EngineError('bad-request', 'messages must hold at least one message.');
	if (messages.at(-1)!.role !== 'user') {
		throw new EngineError('bad-request', 'WebLLM models can only answer a user message: they cannot continue a cut-off reply. Regenerate the reply instead.');
	}
	const maxTokens = request.max_tokens ?? defaultMaxTokens;
	if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new EngineError('bad-request', `max_tokens must be a positive integer, got ${maxTokens}.`);
	if (request.seed !== undefined && !Number.isInteger(request.seed)) throw new EngineError('bad-request', `seed must be an integer, got ${request.seed}.`);
	const out: WebLlmRequest = {
		messages: messages.map((m) => ({ role: m.role, content: m.content })),
		stream: true,
		stream_options: { include_usage: true },
		max_tokens: maxTokens
	};
	if (request.temperature !== undefined) out.temperature = request.temperature;
	if (request.top_p !== undefined) out.top_p = request.top_p;
	if (request.repetition_penalty !== undefined) out.repetition_penalty = request.repetition_penalty;
	if (request.seed !== undefined) out.seed = request.seed;
	return out;
}

const FINISH: Record<string, FinishReason> = { stop: 'stop', length: 'length', abort: 'abort' };

/**
 * Turns web-llm's stream into ours. web-llm ends with a chunk carrying `finish_reason` and, with
 * `include_usage`, one more with no choices and the usage; ours puts both on one last chunk. The
 * finishing chunk is held back until the usage (or the end of the stream) arrives.
 */
export class ChunkMapper {
	private first = true;
	private held: ChatCompletionChunk | null = null;

	constructor(
		private readonly id: string,
		private readonly model: string
	) {}

	/** Our chunks for one of web-llm's (zero, one or two). */
	push(c: WebLlmChunk): ChatCompletionChunk[] {
		const out: ChatCompletionChunk[] = [];
		const choice = c.choices[0];
		if (choice) {
			const text = choice.delta.content ?? '';
			if (text) {
				out.push(makeChunk(this.id, this.model, text, null, this.first));
				this.first = false;
			}
			if (choice.finish_reason) {
				this.held = makeChunk(this.id, this.model, undefined, FINISH[choice.finish_reason] ?? 'stop', this.first);
				this.first = false;
			}
		}
		if (c.usage && this.held) {
			this.held.usage = { prompt_tokens: c.usage.prompt_tokens, completion_tokens: c.usage.completion_tokens, total_tokens: c.usage.total_tokens };
			out.push(this.held);
			this.held = null;
		}
		return out;
	}

	/** The last chunk when the stream ended; `aborted` when the caller stopped it. */
	end(aborted: boolean): ChatCompletionChunk[] {
		const last = this.held ?? makeChunk(this.id, this.model, undefined, 'stop', this.first);
		this.held = null;
		if (aborted) last.choices[0].finish_reason = 'abort';
		return [last];
	}
}

/** web-llm's init progress as ours (progress clamped to [0, 1]). */
export function toLoadProgress(r: { progress: number; text: string }): LoadProgress {
	const p = Number.isFinite(r.progress) ? Math.min(1, Math.max(0, r.progress)) : 0;
	return { progress: p, text: r.text || 'Loading the model…' };
}

const BAD_REQUEST = new Set([
	'MessageOrderError',
	'SystemMessageOrderError',
	'UnsupportedRoleError',
	'ContentTypeError',
	'ConfigValueError',
	'MinValueError',
	'RangeError',
	'NonNegativeError',
	'InvalidNumberStringError',
	'DependencyError',
	'SeedTypeError',
	'UnsupportedFieldsError',
	'InvalidStreamOptionsError'
]);

/** Maps what web-llm throws to our named errors, each with a message that says what to do. */
export function toWebLlmError(e: unknown): EngineError {
	if (e instanceof EngineError) return e;
	const name = (e as { name?: string } | null)?.name ?? '';
	const message = e instanceof Error ? e.message : String(e);
	switch (name) {
		case 'WebGPUNotAvailableError':
		case 'WebGPUNotFoundError':
			return new EngineError('no-webgpu', 'WebLLM models need WebGPU, which this browser does not offer. Try Chrome or Edge 113+ with hardware acceleration on, or pick a model that runs on WASM.');
		case 'ShaderF16SupportError':
		case 'FeatureSupportError':
			return new EngineError('out-of-memory', `This GPU lacks a feature the model needs (${message.split('.')[0]}). Choose a q4f32 build of the model instead.`);
		case 'DeviceLostError':
			return new EngineError('out-of-memory', 'The GPU ran out of memory loading this model (device lost). Reload the page and choose a smaller model or a shorter context.');
		case 'ContextWindowSizeExceededError':
			return new EngineError('bad-request', "The chat is longer than the model's context window. Start a new chat or delete some earlier messages.");
		case 'ModelNotLoadedError':
		case 'EngineNotLoadedError':
		case 'WorkerEngineModelNotLoadedError':
			return new EngineError('not-loaded', 'No model is loaded; load one first.');
		case 'ModelNotFoundError':
		case 'SpecifiedModelNotFoundError':
		case 'UnsupportedModelIdError':
		case 'MissingModelWasmError':
			return new EngineError('model-load', `WebLLM does not know this model (${message}). Pick another from the Models page.`);
		case 'IntegrityError':
			return new EngineError('model-load', 'A downloaded WebLLM file failed its integrity check and was not used. Try loading the model again.');
		case 'QuotaExceededError':
			return new EngineError('out-of-memory', 'The browser has no room to store this model. Delete other models on the Models page, or pick a smaller one.');
	}
	if (BAD_REQUEST.has(name)) return new EngineError('bad-request', message);
	if (e instanceof TypeError && /fetch|network|load failed/i.test(message)) {
		return new EngineError('model-load', 'Could not download the model from Hugging Face. Check your connection and try again (files already fetched are kept).');
	}
	return toEngineError(e);
}
