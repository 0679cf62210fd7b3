/**
 * The worker protocol: a discriminated union of messages. Every request carries a uuid; the
 * worker answers it with any number of `progress` (load) or `chunk` (chat) messages, then exactly
 * one `return` or `throw`. `abort` asks the worker to stop the request with that id, which then
 * ends normally (its last chunk says `finish_reason: 'abort'`).
 */
import type { ChatCompletionChunk, ChatCompletionRequest, EngineInfo, LoadProgress } from './types';
import type { SerializedError } from './errors';

export type WorkerRequest =
	| { kind: 'load'; id: string; modelId: string }
	| { kind: 'unload'; id: string }
	| { kind: 'chat'; id: string; request: ChatCompletionRequest }
	| { kind: 'abort'; id: string };

export type WorkerResponse =
	| { kind: 'progress'; id: string; progress: LoadProgress }
	| { kind: 'chunk'; id: string; chunk: ChatCompletionChunk }
	| { kind: 'return'; id: string; value: EngineInfo | null }
	| { kind: 'throw'; id: string; error: SerializedError };

/** What both sides need of a Worker, a worker's global scope or a MessagePort. */
export interface MessageEndpoint {
	postMessage(message: unknown): void;
	addEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
	removeEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
}

export function isWorkerRequest(m: unknown): m is WorkerRequest {
	const k = (m as { kind?: unknown } | null)?.kind;
	return typeof (m as { id?: unknown }).id === 'string' && (k === 'load' || k === 'unload' || k === 'chat' || k === 'abort');
}

export function isWorkerResponse(m: unknown): m is WorkerResponse {
	const k = (m as { kind?: unknown } | null)?.kind;
	return typeof (m as { id?: unknown }).id === 'string' && (k === 'progress' || k === 'chunk' || k === 'return' || k === 'throw');
}

/** The chunk shape every engine emits. */
export function makeChunk(
	id: string,
	model: string,
	content: string | undefined,
	finishReason: ChatCompletionChunk['choices'][0]['finish_reason'],
	first = false
): ChatCompletionChunk {
	const delta: ChatCompletionChunk['choices'][0]['delta'] = {};
	if (first) delta.role = 'assistant';
	if (content !== undefined) delta.content = content;
	return { id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model, choices: [{ index: 0, delta, finish_reason: finishReason }] };
}
