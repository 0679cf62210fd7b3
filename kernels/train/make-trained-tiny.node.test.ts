/**
 * The data pipeline of make-trained-tiny.ts on the real Open Assistant sample and the bundled
 * tokenizer: thread extraction from the tree file, ChatML rendering equal to the tokenizer's
 * chat template, a loss mask on exactly the assistant replies and their `<|im_end|>`, and a
 * few full-training steps from the fresh initialisation on a real batch lowering the loss on
 * held-out replies.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../gpu/context.js';
import { testContext } from '../testing/context.js';
import { HELD_OUT, TINY_DATA } from '../models/make-tiny-model.js';
import { openModel } from '../models/model-files.js';
import { folderSource } from '../models/source-node.js';
import type { ModelTokenizer } from '../models/tokenizer.js';
import { LlamaTrainer } from './llama-train.js';
import { maskedTokens, packExamples, parseTreeJsonl, renderThread, treeThreads, unigramCrossEntropy, type OasstNode } from './corpus/oasst.js';
import { initialWeights, memoryModel, safetensorsOf, TINY_DIR, windows } from './make-trained-tiny.js';

let tok: ModelTokenizer;
let trees: OasstNode[];
beforeAll(async () => {
	tok = (await openModel(folderSource(TINY_DIR))).tokenizer!;
	trees = parseTreeJsonl(await readFile(TINY_DATA, 'utf8'), TINY_DATA);
});

/** Every node of a tree, depth-first. */
function nodes(n: OasstNode): OasstNode[] {
	return [n, ...(n.replies ?? []).flatMap(nodes)];
}

describe('threads from the tree file', () => {
	it('reads the 100 trees and makes every assistant message a target exactly once', () => {
		expect(trees).toHaveLength(100);
		expect(HELD_OUT).toBe(10);
		for (const t of trees.slice(0, 20)) {
			const threads = treeThreads(t);
			const assistant = nodes(t).filter((n) => n.role === 'assistant');
			const targets = threads.flatMap((th) => th.messages.filter((_, i) => th.target[i]).map((m) => m.content));
			expect(targets.sort()).toEqual(assistant.map((n) => n.text).sort());
			for (const th of threads) {
				expect(th.messages[0]).toEqual({ role: 'user', content: t.text });
				expect(th.messages.at(-1)!.role).toBe('assistant');
				th.messages.forEach((m, i) => expect(m.role).toBe(i % 2 === 0 ? 'user' : 'assistant'));
				th.target.forEach((x, i) => x && expect(th.messages[i].role).toBe('assistant'));
			}
		}
	});

	it('refuses a line that is not a message tree, naming the line', () => {
		expect(() => parseTreeJsonl('{"prompt": {"text": "hi", "role": "robot"}}\n', 'x.jsonl')).toThrow(/x\.jsonl: line 1 .*role/);
		expect(() => parseTreeJsonl('\nnot json', 'x.jsonl')).toThrow(/line 2 is not JSON/);
	});
});

describe('ChatML rendering and the loss mask', () => {
	it('tokenizes as the chat template and masks exactly the target replies and their <|im_end|>', () => {
		const imEnd = tok.tokenToId('<|im_end|>')!;
		let checked = 0;
		for (const t of trees.slice(0, 12)) {
			for (const th of treeThreads(t)) {
				const e = renderThread(tok, th);
				// Piecewise tokenization equals tokenizing the whole rendered template.
				expect(Array.from(e.tokens)).toEqual(tok.encode(tok.applyChatTemplate(th.messages, false), false));
				// The masked tokens are the target replies, each closed by <|im_end|>, in order.
				const runs: number[][] = [];
				e.lossMask.forEach((m, i) => {
					if (!m) return;
					if (i === 0 || !e.lossMask[i - 1]) runs.push([]);
					runs.at(-1)!.push(e.tokens[i]);
				});
				const targets = th.messages.filter((_, i) => th.target[i]);
				expect(runs).toHaveLength(targets.length);
				runs.forEach((r, k) => {
					expect(r.at(-1)).toBe(imEnd);
					expect(tok.decode(r, false)).toBe(`${targets[k].content}<|im_end|>`);
				});
				expect(e.targetTokens).toBe(runs.reduce((n, r) => n + r.length, 0));
				checked++;
			}
		}
		expect(checked).toBeGreaterThan(30);
	});

	it('cuts long threads into windows that keep their tokens and mask', () => {
		const th = treeThreads(trees[0])[0];
		const e = renderThread(tok, th);
		const w = windows(e, 64);
		expect(w.length).toBe(Math.ceil(e.tokens.length / 64));
		expect(w.flatMap((x) => Array.from(x.tokens))).toEqual(Array.from(e.tokens));
		expect(w.flatMap((x) => Array.from(x.lossMask))).toEqual(Array.from(e.lossMask));
	});
});

describe('unigram baseline', () => {
	it('is the add-one smoothed cross-entropy of the masked tokens', () => {
		// Training targets (positions after the first, mask 1): 1, 1, 2 (0 is the first token; 3 is masked out).
		const train = [{ tokens: [Int32Array.from([0, 1, 1, 2, 3])], lossMask: [Uint8Array.from([1, 1, 1, 1, 0])] }];
		const test = [{ tokens: [Int32Array.from([3, 1, 0])], lossMask: [Uint8Array.from([0, 1, 1])] }];
		// V = 4: counts 1+[0, 2, 1, 0] over 4 + 3 = 7.
		expect(unigramCrossEntropy(train, test, 4)).toBeCloseTo(-(Math.log(3 / 7) + Math.log(1 / 7)) / 2, 12);
	});
});

describe('a few full-training steps', () => {
	let ctx: GpuContext;
	beforeAll(async () => {
		ctx = await testContext();
	});
	afterAll(() => ctx?.destroy());

	it('lower the loss on held-out assistant replies, from the fresh initialisation', async () => {
		const config = JSON.parse(await readFile(`${TINY_DIR}/config.json`, 'utf8')) as Record<string, unknown>;
		const init = initialWeights(config, 7);
		const files = await memoryModel(safetensorsOf([...init].map(([name, t]) => ({ name, ...t }))), 'init');
		const train = trees.slice(0, 6).flatMap((t) => treeThreads(t)).map((th) => renderThread(tok, th)).flatMap((e) => windows(e, 64));
		const held = trees.slice(-2).flatMap((t) => treeThreads(t)).map((th) => renderThread(tok, th)).flatMap((e) => windows(e, 64));
		const batches = packExamples(train, train.map((_, i) => i), 128).slice(0, 6);
		const [heldBatch] = packExamples(held, held.map((_, i) => i), 256);
		expect(maskedTokens(heldBatch)).toBeGreaterThan(20);
		const trainer = await LlamaTrainer.create(ctx, files, { mode: 'full', lr: 3e-3, betas: [0.9, 0.95], maxSeq: 64 });
		try {
			const before = await trainer.evaluate(heldBatch);
			// Near-uniform at initialisation (ln 1024 = 6.93).
			expect(Math.abs(before - Math.log(1024))).toBeLessThan(0.2);
			for (const b of batches) await trainer.step(b);
			const after = await trainer.evaluate(heldBatch);
			expect(after).toBeLessThan(before - 0.3);
		} finally {
			trainer.dispose();
		}
	});
});
