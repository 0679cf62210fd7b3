/**
 * The one engine interface every inference backend implements, in-thread or behind a Web Worker.
 * Its shapes mirror OpenAI chat completions (streamed chunks, `finish_reason`), which users know.
 */

export interface ChatCompletionMessage {
	role: 'system' | 'user' | 'assistant';
	content: string;
}

/** A streamed chat-completion request. Sampling fields left out keep the engine's defaults. */
export interface ChatCompletionRequest {
	messages: ChatCompletionMessage[];
	stream: true;
	max_tokens?: number;
	/** 0 = greedy. */
	temperature?: number;
	top_p?: number;
	top_k?: number;
	min_p?: number;
	typical_p?: number;
	repetition_penalty?: number;
	seed?: number;
	/**
	 * When the last message is the assistant's, continue it (a cut-off reply) instead of
	 * answering after it. Default true, as a trailing assistant message means nothing else.
	 */
	continue_final_message?: boolean;
}

export type FinishReason = 'stop' | 'length' | 'abort';

export interface ChatCompletionChunk {
	id: string;
	object: 'chat.completion.chunk';
	created: number;
	model: string;
	choices: { index: 0; delta: { role?: 'assistant'; content?: string }; finish_reason: FinishReason | null }[];
	/** On the last chunk only. */
	usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

export interface RequestOptions {
	signal?: AbortSignal;
}

/** Loading progress: `progress` in [0, 1] and a line for people. */
export interface LoadProgress {
	progress: number;
	text: string;
}

export type ProgressCallback = (p: LoadProgress) => void;

/** What a loaded engine reports about itself. */
export interface EngineInfo {
	modelId: string;
	adapter: string;
	f16: boolean;
	loadMs: number;
}

export interface Engine {
	/** Loads a model (replacing any other); resolves once it can generate. */
	load(modelId: string, onProgress?: ProgressCallback): Promise<EngineInfo>;
	/** Frees the model and its device memory. */
	unload(): Promise<void>;
	readonly chat: {
		readonly completions: {
			create(request: ChatCompletionRequest, options?: RequestOptions): Promise<AsyncIterable<ChatCompletionChunk>>;
		};
	};
}

/**
 * A scoring request: one reward per conversation from a reward model — the SEQ_CLS adapter of
 * reward job `jobId` (version `version`, stored on the device like a chat adapter, adapters.ts)
 * over our engine's `baseModel`. Each conversation ends in the assistant reply to score.
 */
export interface ScoreRequest {
	baseModel: string;
	jobId: string;
	version: number;
	/** The reward job's sequence length: each conversation keeps its last this many tokens (absent: reward.ts's default). */
	sequenceTokens?: number;
	conversations: ChatCompletionMessage[][];
}

/** An engine that scores replies with a reward model (our own engine; the router and the worker client forward it). */
export interface Scorer {
	/** One reward per conversation, in order; the signal stops before the next conversation. */
	score(request: ScoreRequest, options?: RequestOptions): Promise<number[]>;
}

/** The final chunk's `finish_reason` and all the text, for callers that want it whole. */
export async function collect(chunks: AsyncIterable<ChatCompletionChunk>): Promise<{ text: string; finishReason: FinishReason | null }> {
	let text = '';
	let finishReason: FinishReason | null = null;
	for await (const c of chunks) {
		text += c.choices[0]?.delta.content ?? '';
		finishReason = c.choices[0]?.finish_reason ?? finishReason;
	}
	return { text, finishReason };
}
