/**
 * Supervised fine-tuning data from Open Assistant conversation trees: threads (root-to-leaf
 * paths) rendered with a model's ChatML chat template, tokenized, with a loss mask on the
 * assistant replies (their content and the `<|im_end|>` that closes them).
 *
 * Every assistant message of a tree is a training target exactly once: the threads are the
 * tree's root-to-leaf paths (cut after their last assistant message) and a path masks in only
 * the assistant messages no earlier path has masked, so a reply shared by several branches is
 * neither over-weighted in training nor counted twice in an evaluation. The prompter turns
 * (and repeated replies) are context.
 */
import { z } from 'zod';
import type { ChatMessage, ModelTokenizer } from '../../models/tokenizer.js';
import type { TrainBatch } from '../train-batch.js';

/** A message of an oasst export tree (the fields this module reads). */
export interface OasstNode {
	text: string;
	role: 'prompter' | 'assistant';
	replies?: OasstNode[];
}

const nodeSchema: z.ZodType<OasstNode> = z.lazy(() =>
	z.object({
		text: z.string(),
		role: z.enum(['prompter', 'assistant']),
		replies: z.array(nodeSchema).optional()
	})
);
const treeLineSchema = z.object({ prompt: nodeSchema });

/** Parses an oasst `*_tree.jsonl` export (one `ExportMessageTree` per line) into root messages. */
export function parseTreeJsonl(text: string, label = 'tree file'): OasstNode[] {
	return text
		.split('\n')
		.map((l, i) => [l, i] as const)
		.filter(([l]) => l.trim())
		.map(([l, i]) => {
			let json: unknown;
			try {
				json = JSON.parse(l);
			} catch (e) {
				throw new Error(`${label}: line ${i + 1} is not JSON (${(e as Error).message})`, { cause: e });
			}
			const r = treeLineSchema.safeParse(json);
			if (!r.success) throw new Error(`${label}: line ${i + 1} is not an oasst message tree (${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message})`);
			return r.data.prompt;
		});
}

/** One conversation: its messages and which assistant messages are training targets. */
export interface Thread {
	messages: ChatMessage[];
	/** Parallel to `messages`: true on the assistant replies this thread trains on. */
	target: boolean[];
}

/**
 * The threads of a tree: root-to-leaf paths ending at their last assistant message, each
 * assistant message a target in exactly one of them (the first path, depth-first, that reaches
 * it). Paths that add no new target are dropped.
 */
export function treeThreads(root: OasstNode): Thread[] {
	const out: Thread[] = [];
	const seen = new Set<OasstNode>();
	const walk = (n: OasstNode, path: OasstNode[]) => {
		const p = [...path, n];
		if (n.replies && n.replies.length > 0) {
			for (const r of n.replies) walk(r, p);
			return;
		}
		let end = p.length;
		while (end > 0 && p[end - 1].role !== 'assistant') end--;
		if (end === 0) return;
		const nodes = p.slice(0, end);
		const target = nodes.map((m) => m.role === 'assistant' && !seen.has(m));
		if (!target.some(Boolean)) return;
		nodes.forEach((m, i) => target[i] && seen.add(m));
		out.push({ messages: nodes.map((m) => ({ role: m.role === 'prompter' ? 'user' : 'assistant', content: m.text })), target });
	};
	walk(root, []);
	return out;
}

/** A rendered, tokenized thread. */
export interface Example {
	tokens: Int32Array;
	/** 1 on the tokens trained on (see `renderThread`). */
	lossMask: Uint8Array;
	/** Tokens of the target replies (content + `<|im_end|>`), before any truncation. */
	targetTokens: number;
}

/** How `renderThread` masks. */
export interface RenderOptions {
	/** 'assistant' [default]: only the target replies; 'all': every token after the first. */
	mask?: 'assistant' | 'all';
	/** Keep at most this many tokens (the tail is cut). */
	maxLen?: number;
}

/**
 * Renders `thread` with the tokenizer's chat template and tokenizes it, one message at a time:
 * the template is rendered for the first k messages for every k, and each message's tokens
 * are the encoding of the text it adds (the special tokens split the text, so the pieces
 * tokenize exactly as the whole — the tests check it). A target reply's mask covers its content
 * and its `<|im_end|>`, not the `<|im_start|>assistant\n` header nor the newline after.
 */
export function renderThread(tok: ModelTokenizer, thread: Thread, o: RenderOptions = {}): Example {
	const imEnd = tok.tokenToId('<|im_end|>');
	if (imEnd === undefined) throw new Error('renderThread: the tokenizer has no <|im_end|> token (a ChatML tokenizer is needed)');
	const ids: number[] = [];
	const mask: number[] = [];
	let prev = '';
	let targetTokens = 0;
	thread.messages.forEach((m, i) => {
		const text = tok.applyChatTemplate(thread.messages.slice(0, i + 1), false);
		if (!text.startsWith(prev)) throw new Error('renderThread: the chat template does not render a thread as a prefix of its continuation');
		const pieceText = text.slice(prev.length);
		const piece = tok.encode(pieceText, false);
		prev = text;
		let from = piece.length;
		let to = piece.length;
		if (thread.target[i]) {
			const at = pieceText.lastIndexOf(`${m.content}<|im_end|>`);
			const end = piece.lastIndexOf(imEnd);
			if (at < 0 || end < 0) throw new Error('renderThread: an assistant message was not rendered as content followed by <|im_end|>');
			// The header's tokens (`<|im_start|>assistant\n`, and whatever came before in the piece);
			// where BPE merged the header's last characters with the content's first, the merged
			// token belongs to the content.
			const head = tok.encode(pieceText.slice(0, at), false);
			from = 0;
			while (from < head.length && head[from] === piece[from]) from++;
			from = Math.min(from, end);
			to = end + 1;
			targetTokens += to - from;
		}
		piece.forEach((id, j) => {
			ids.push(id);
			mask.push(j >= from && j < to ? 1 : 0);
		});
	});
	const n = Math.min(ids.length, o.maxLen ?? ids.length);
	const tokens = Int32Array.from(ids.slice(0, n));
	const lossMask = o.mask === 'all' ? Uint8Array.from(tokens, (_, i) => (i > 0 ? 1 : 0)) : Uint8Array.from(mask.slice(0, n));
	return { tokens, lossMask, targetTokens };
}

/**
 * Groups `examples` into batches of about `tokensPerBatch` tokens (whole sequences; one longer
 * sequence makes a batch of its own), in the order of `order` (indices into `examples`).
 */
export function packExamples(examples: Example[], order: number[], tokensPerBatch: number): TrainBatch[] {
	const out: TrainBatch[] = [];
	let cur: TrainBatch = { tokens: [], lossMask: [] };
	let n = 0;
	for (const i of order) {
		const e = examples[i];
		if (e.tokens.length < 2 || !e.lossMask.some((m, j) => j > 0 && m)) continue;
		if (n > 0 && n + e.tokens.length > tokensPerBatch) {
			out.push(cur);
			cur = { tokens: [], lossMask: [] };
			n = 0;
		}
		cur.tokens.push(e.tokens);
		cur.lossMask.push(e.lossMask);
		n += e.tokens.length;
	}
	if (n > 0) out.push(cur);
	return out;
}

/** Trained (masked-in) target tokens of a batch: positions after the first with mask 1. */
export function maskedTokens(b: TrainBatch): number {
	let n = 0;
	b.lossMask.forEach((m) => m.forEach((v, i) => (n += i > 0 && v ? 1 : 0)));
	return n;
}

/**
 * Cross-entropy (nats per token) on the masked tokens of `test` of a unigram model estimated on
 * the masked tokens of `train` with add-one (Laplace) smoothing over `vocabSize` ids.
 */
export function unigramCrossEntropy(train: TrainBatch[], test: TrainBatch[], vocabSize: number): number {
	const counts = new Float64Array(vocabSize).fill(1);
	let total = vocabSize;
	for (const b of train) {
		b.tokens.forEach((t, s) =>
			t.forEach((id, i) => {
				if (i > 0 && b.lossMask[s][i]) {
					counts[id]++;
					total++;
				}
			})
		);
	}
	let nll = 0;
	let n = 0;
	for (const b of test) {
		b.tokens.forEach((t, s) =>
			t.forEach((id, i) => {
				if (i > 0 && b.lossMask[s][i]) {
					nll -= Math.log(counts[id] / total);
					n++;
				}
			})
		);
	}
	return nll / n;
}
