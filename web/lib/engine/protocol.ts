/**
 * The worker protocol: a discriminated union of messages. Every request carries a uuid; the
 * worker answers it with any number of `progress` (load) or `chunk` (chat) messages, then exactly
 * one `return` or `throw`. `abort` asks the worker to stop the request with that id, which then
 * ends normally (its last chunk says `finish_reason: 'abort'`).
 */
import { z } from 'zod';
import type { ChatCompletionChunk, ChatCompletionRequest, EngineInfo, LoadProgress, ScoreRequest } from './types';
import type { SerializedError } from './errors';

export type WorkerRequest =
	| { kind: 'load'; id: string; modelId: string }
	| { kind: 'unload'; id: string }
	| { kind: 'chat'; id: string; request: ChatCompletionRequest }
	| { kind: 'score'; id: string; request: ScoreRequest }
	| { kind: 'abort'; id: string };

export type WorkerResponse =
	| { kind: 'progress'; id: string; progress: LoadProgress }
	| { kind: 'chunk'; id: string; chunk: ChatCompletionChunk }
	| { kind: 'return'; id: string; value: EngineInfo | number[] | null }
	| { kind: 'throw'; id: string; error: SerializedError };

/** What both sides need of a Worker, a worker's global scope or a MessagePort. */
export interface MessageEndpoint {
	postMessage(message: unknown): void;
	addEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
	removeEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
}

export function isWorkerRequest(m: unknown): m is WorkerRequest {
	const k = (m as { kind?: unknown } | null)?.kind;
	return typeof (m as { id?: unknown }).id === 'string' && (k === 'load' || k === 'unload' || k === 'chat' || k === 'score' || k === 'abort');
}

export function isWorkerResponse(m: unknown): m is WorkerResponse {
	const k = (m as { kind?: unknown } | null)?.kind;
	return typeof (m as { id?: unknown }).id === 'string' && (k === 'progress' || k === 'chunk' || k === 'return' || k === 'throw');
}

/** The most conversations one score request may hold (best-of-n asks for at most 4). */
export const MAX_SCORE_CONVERSATIONS = 16;

const conversationSchema = z
	.array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() }), { error: 'each conversation must be a list of {role, content} messages' })
	.min(1, 'a conversation needs at least the reply to score')
	.refine((m) => m.at(-1)?.role === 'assistant', 'each conversation must end in the assistant reply to score');

/** A {@link ScoreRequest} as the worker accepts it (model ids as the catalogue spells them). */
export const scoreRequestSchema = z.object({
	baseModel: z.string().regex(/^[\w.-]+$/, 'baseModel must be a model id (letters, digits, . _ -)'),
	jobId: z.string().regex(/^[\w-]+$/, 'jobId must be a training job id'),
	version: z.number().int('version must be a whole number').min(1, 'version starts at 1'),
	sequenceTokens: z.number().int('sequenceTokens must be a whole number').min(8, 'sequenceTokens is at least 8 (the trainer\'s smallest sequence length)').max(32_768, 'sequenceTokens is at most 32768 (the trainer\'s largest sequence length)').optional(),
	conversations: z.array(conversationSchema).min(1, 'give at least one conversation to score').max(MAX_SCORE_CONVERSATIONS, `at most ${MAX_SCORE_CONVERSATIONS} conversations per request`)
});

/** The request, checked; `error` says in words what is wrong (the worker answers it as bad-request). */
export function parseScoreRequest(m: unknown): { ok: true; request: ScoreRequest } | { ok: false; error: string } {
	const r = scoreRequestSchema.safeParse(m);
	return r.success ? { ok: true, request: r.data } : { ok: false, error: r.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ') };
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
