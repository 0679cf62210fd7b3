/**
 * Preference pairs (reward-model and DPO examples) as token sequences for Llama-family models:
 * each side is the thread prefix followed by its reply, rendered with the model's chat template
 * and tokenized message by message (`renderThread`, as SFT threads are), the mask on the reply
 * only (its content and the `<|im_end|>` that closes it). A side longer than the window is cut
 * by objective:
 * - **reward**: the window ends where the sequence ends (older tokens are dropped:
 *   kernels/models/reward.ts `rewardSequence`, which scoring calls too). The reward
 *   model scores a side by the final hidden state of its last token, so that token must be the
 *   end of the reply, as in a reward model's training on whole sequences; what a window still
 *   shows of the prompt is part of what is scored.
 * - **dpo**: as an SFT thread (./tokenize.ts `windowStart`): the start of the reply with up to a
 *   quarter of the window of context before it; DPO sums the log-probs of the masked tokens. Pure and platform-neutral, like ../tokenize.ts: the
 * server (token counts, held-out pairs) and the workers tokenize alike.
 */
import { rewardSequence } from '../../kernels/models/reward.js';
import type { ModelTokenizer } from '../../kernels/models/tokenizer.js';
import { renderThread } from '../../kernels/train/corpus/oasst.js';
import type { PreferenceBatch } from '../../kernels/train/train-batch.js';
import type { PreferenceExample, TrainingExample } from './datasets.js';
import { TokenizeError, targetCount, windowStart, type TokenizedExample } from './tokenize.js';

/** Both sides of one pair. */
export interface TokenizedPair {
	chosen: TokenizedExample;
	rejected: TokenizedExample;
}

function side(tok: ModelTokenizer, example: PreferenceExample, reply: string, maxTokens: number): TokenizedExample {
	const messages = [...example.prefix, { role: 'assistant' as const, content: reply }];
	let out: TokenizedExample;
	// A reward side is what the reward model scores at inference: one function renders both.
	if (example.kind === 'reward') out = rewardSequence(tok, messages, maxTokens);
	else {
		const rendered = renderThread(tok, { messages, target: messages.map((_, i) => i === messages.length - 1) });
		const start = windowStart(rendered.lossMask, maxTokens);
		const end = Math.min(rendered.tokens.length, start + maxTokens);
		out = { tokens: rendered.tokens.slice(start, end), lossMask: rendered.lossMask.slice(start, end) };
	}
	if (out.tokens.length < 2 || targetCount(out.lossMask) === 0) throw new TokenizeError(`pair ${example.id} has a reply with no token left to score`);
	return out;
}

/** Renders and tokenizes both sides of a pair, each cut to at most `maxTokens`. @throws TokenizeError */
export function tokenizePair(tok: ModelTokenizer, example: PreferenceExample, maxTokens: number): TokenizedPair {
	if (maxTokens < 8) throw new TokenizeError(`a sequence must allow at least 8 tokens, not ${maxTokens}`);
	return { chosen: side(tok, example, example.chosen, maxTokens), rejected: side(tok, example, example.rejected, maxTokens) };
}

/** Tokenizes pairs for one tokenizer and window, remembering each example object's result. */
export class PairTokenizer {
	private readonly cache = new WeakMap<TrainingExample, TokenizedPair>();

	constructor(
		readonly tokenizer: ModelTokenizer,
		readonly maxTokens: number
	) {}

	/** The pair's tokens. @throws TokenizeError for an SFT example */
	of(example: TrainingExample): TokenizedPair {
		let hit = this.cache.get(example);
		if (!hit) {
			if (example.kind === 'sft') throw new TokenizeError(`an SFT thread (${example.id}) is not a preference pair`);
			hit = tokenizePair(this.tokenizer, example, this.maxTokens);
			this.cache.set(example, hit);
		}
		return hit;
	}

	/** Tokens a pair costs (both sides). */
	tokens(example: TrainingExample): number {
		const p = this.of(example);
		return p.chosen.tokens.length + p.rejected.tokens.length;
	}

	/** Pairs as the trainer's `rewardStep` / `dpoStep` take them. */
	batch(examples: readonly TrainingExample[]): PreferenceBatch {
		const t = examples.map((e) => this.of(e));
		return { chosen: t.map((p) => p.chosen.tokens), rejected: t.map((p) => p.rejected.tokens), chosenMask: t.map((p) => p.chosen.lossMask), rejectedMask: t.map((p) => p.rejected.lossMask) };
	}
}
