/**
 * SFT examples as token sequences for Llama-family models: each thread is rendered with the
 * model's own chat template (tokenizer_config.json) and tokenized message by message
 * (`renderThread`, shared with the kernels' trainer), the loss mask on the assistant replies
 * only (their content and the `<|im_end|>` that closes them). Every assistant turn of the
 * thread is a target, as in the original's SFT.
 *
 * A thread longer than `maxTokens` is cut to one window that holds the start of its last reply
 * with up to a quarter of the window of context before it (the leaf reply is what the example
 * exists for; cutting the tail instead would often leave no reply at all).
 *
 * Pure and platform-neutral: the server (token counts, validation batches) and the workers
 * (Node and browser) tokenize alike, so a unit's credited tokens are the tokens trained on.
 */
import type { ModelTokenizer } from '../../kernels/models/tokenizer.js';
import { renderThread } from '../../kernels/train/corpus/oasst.js';
import type { TrainBatch } from '../../kernels/train/train-batch.js';
import type { SftExample, TrainingExample } from './datasets.js';

/** One tokenized example. */
export interface TokenizedExample {
	tokens: Int32Array;
	/** 1 on the tokens trained on (assistant replies). */
	lossMask: Uint8Array;
}

/** An example this module cannot tokenize (wrong objective, no reply left…). */
export class TokenizeError extends Error {
	override name = 'TokenizeError';
}

/** Positions ≥ 1 whose mask is on (the targets a step trains on). */
export function targetCount(lossMask: Uint8Array): number {
	let n = 0;
	for (let i = 1; i < lossMask.length; i++) n += lossMask[i] ? 1 : 0;
	return n;
}

/** The window of `maxTokens` kept of a longer sequence (see the module comment). */
export function windowStart(lossMask: Uint8Array, maxTokens: number): number {
	const n = lossMask.length;
	if (n <= maxTokens) return 0;
	// The start of the last target span.
	let end = n - 1;
	while (end > 0 && !lossMask[end]) end--;
	let start = end;
	while (start > 0 && lossMask[start - 1]) start--;
	return Math.max(0, Math.min(start - Math.floor(maxTokens / 4), n - maxTokens));
}

/** Renders and tokenizes an SFT example, cut to at most `maxTokens` tokens. @throws TokenizeError */
export function tokenizeSft(tok: ModelTokenizer, example: SftExample, maxTokens: number): TokenizedExample {
	if (maxTokens < 8) throw new TokenizeError(`a sequence must allow at least 8 tokens, not ${maxTokens}`);
	const rendered = renderThread(tok, { messages: example.messages, target: example.messages.map((m) => m.role === 'assistant') });
	const start = windowStart(rendered.lossMask, maxTokens);
	const end = Math.min(rendered.tokens.length, start + maxTokens);
	const out = { tokens: rendered.tokens.slice(start, end), lossMask: rendered.lossMask.slice(start, end) };
	if (out.tokens.length < 2 || targetCount(out.lossMask) === 0) throw new TokenizeError(`example ${example.id} has no assistant token to train on`);
	return out;
}

/**
 * Tokenizes examples for one tokenizer and window, remembering each example object's result
 * (the manager's datasets are cached, so the same objects come back round after round).
 */
export class ExampleTokenizer {
	private readonly cache = new WeakMap<TrainingExample, TokenizedExample>();

	constructor(
		readonly tokenizer: ModelTokenizer,
		readonly maxTokens: number
	) {}

	/** The example's tokens. @throws TokenizeError for a non-SFT example */
	of(example: TrainingExample): TokenizedExample {
		let hit = this.cache.get(example);
		if (!hit) {
			if (example.kind !== 'sft') throw new TokenizeError(`a ${example.kind} example is not an SFT thread`);
			hit = tokenizeSft(this.tokenizer, example, this.maxTokens);
			this.cache.set(example, hit);
		}
		return hit;
	}

	/** A batch of examples, as the trainer takes it. */
	batch(examples: readonly TrainingExample[]): TrainBatch {
		const t = examples.map((e) => this.of(e));
		return { tokens: t.map((x) => x.tokens), lossMask: t.map((x) => x.lossMask) };
	}
}
