/**
 * Reward-model inputs: a conversation ending in an assistant reply as the token ids a reward
 * model scores. Training (server/training/preference.ts, each side of a reward pair) and
 * scoring (`rewardInput`, then `LlamaModel.score`) both call {@link rewardSequence}, so what the
 * head was trained on and what it scores cannot drift apart: the thread is rendered with the
 * model's chat template and tokenized message by message (`renderThread`), and a sequence longer
 * than the window keeps its last `maxTokens` tokens — the reward is read at the last token, which
 * must be the end of the reply (its `<|im_end|>` and the newline the ChatML template puts after
 * it), so older context is what gets dropped.
 */
import { z } from 'zod';
import { renderThread } from '../train/corpus/oasst.js';
import { ModelError } from './errors.js';
import type { ChatMessage, ModelTokenizer } from './tokenizer.js';

/** The window when none is given: the trainer's default longest sequence. */
export const REWARD_MAX_TOKENS = 2048;

/**
 * The window a reward model scores with: the reward job's `sequenceTokens` (what its head was
 * trained on) when known, else {@link REWARD_MAX_TOKENS}, never past the loaded model's context
 * `maxSeq` — the training worker cuts the same way (its sequence length, at most the model's
 * positions), so a conversation is scored with exactly the tokens training would have kept.
 */
export function rewardWindow(maxSeq: number, sequenceTokens?: number): number {
	return Math.min(maxSeq, sequenceTokens ?? REWARD_MAX_TOKENS);
}

/** A conversation a reward model scores: at least one message, the last an assistant reply. */
export const rewardMessagesSchema = z
	.array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() }), { error: 'messages must be a list of {role, content}' })
	.min(1, 'a conversation to score needs at least the reply')
	.refine((m) => m.at(-1)?.role === 'assistant', 'the last message must be the assistant reply to score');

/** A rendered reward sequence: its tokens and the mask of the reply (as training packs it). */
export interface RewardSequence {
	tokens: Int32Array;
	/** 1 on the scored reply's tokens (its content and `<|im_end|>`). */
	lossMask: Uint8Array;
}

/**
 * The tokens of `messages` (the last one the reply) as a reward model trains on and scores them:
 * rendered with the chat template, the reply masked, cut to its last `maxTokens` tokens.
 * @throws Error from renderThread when the tokenizer is no ChatML tokenizer
 */
export function rewardSequence(tok: ModelTokenizer, messages: readonly ChatMessage[], maxTokens: number): RewardSequence {
	const rendered = renderThread(tok, { messages: [...messages], target: messages.map((_, i) => i === messages.length - 1) });
	const start = Math.max(0, rendered.tokens.length - maxTokens);
	return { tokens: rendered.tokens.slice(start), lossMask: rendered.lossMask.slice(start) };
}

/**
 * The token ids `LlamaModel.score` takes for a conversation ending in an assistant reply,
 * rendered exactly as reward training renders a preference side ({@link rewardSequence}).
 * Pass the window the reward job trained with (its sequence length) as `maxTokens`.
 * @throws ModelError bad-config for messages that are not a conversation ending in a reply, a
 *   window under 8 tokens, or a tokenizer without a ChatML template
 */
export function rewardInput(tokenizer: ModelTokenizer, messages: { role: 'user' | 'assistant' | 'system'; content: string }[], maxTokens: number = REWARD_MAX_TOKENS): number[] {
	const parsed = rewardMessagesSchema.safeParse(messages);
	if (!parsed.success) throw new ModelError('bad-config', `rewardInput: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
	if (!Number.isInteger(maxTokens) || maxTokens < 8) throw new ModelError('bad-config', `rewardInput: the window must be a whole number of at least 8 tokens, not ${maxTokens}`);
	let seq: RewardSequence;
	try {
		seq = rewardSequence(tokenizer, parsed.data, maxTokens);
	} catch (e) {
		throw new ModelError('unsupported', `rewardInput: ${(e as Error).message}`);
	}
	if (!seq.lossMask.some((m) => m === 1)) throw new ModelError('bad-config', 'rewardInput: the reply has no token left to score (is it empty?)');
	return Array.from(seq.tokens);
}
