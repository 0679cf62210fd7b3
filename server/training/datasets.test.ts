import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildDataset, fnv1a, plainText, preferenceExamples, recordsOfLines, sftExamples, splitOf } from './datasets.js';

const EN_100 = new URL('../../../shared/data/oasst/en_100_tree.jsonl', import.meta.url).pathname;
const lines = readFileSync(EN_100, 'utf8').split('\n');
const records = recordsOfLines(lines);

interface RawNode {
	message_id: string;
	role: 'prompter' | 'assistant';
	text: string;
	rank?: number | null;
	replies?: RawNode[];
}
const trees = lines.filter((l) => l.trim()).map((l) => JSON.parse(l) as { message_tree_id: string; prompt: RawNode });

/** An independent count straight from the nested JSON. */
function count(node: RawNode): { leaves: number; pairs: number } {
	const replies = node.replies ?? [];
	let leaves = replies.length === 0 && node.role === 'assistant' ? 1 : 0;
	const ranks = replies.filter((r) => r.role === 'assistant' && r.rank != null).map((r) => r.rank!);
	let pairs = 0;
	if (node.role === 'prompter') for (let i = 0; i < ranks.length; i++) for (let j = i + 1; j < ranks.length; j++) if (ranks[i] !== ranks[j]) pairs++;
	for (const r of replies) {
		const c = count(r);
		leaves += c.leaves;
		pairs += c.pairs;
	}
	return { leaves, pairs };
}

describe('training datasets from en_100_tree.jsonl', () => {
	const expected = trees.map((t) => count(t.prompt)).reduce((a, b) => ({ leaves: a.leaves + b.leaves, pairs: a.pairs + b.pairs }));

	it('SFT: one thread per assistant leaf, root first, roles alternating, ending on the assistant', () => {
		const sft = sftExamples(records);
		expect(sft.length).toBe(expected.leaves);
		expect(sft.length).toBeGreaterThan(300);
		for (const e of sft) {
			expect(e.messages[0]!.role).toBe('user');
			expect(e.messages.at(-1)!.role).toBe('assistant');
			e.messages.forEach((m, i) => expect(m.role).toBe(i % 2 === 0 ? 'user' : 'assistant'));
		}
		const first = trees[0]!;
		const mine = sft.filter((e) => e.treeId === first.message_tree_id);
		expect(mine[0]!.messages[0]!.content).toBe(first.prompt.text);
		expect(new Set(sft.map((e) => e.id)).size).toBe(sft.length);
	});

	it('reward pairs: all ordered pairs of ranked assistant siblings, better rank first', () => {
		const pairs = preferenceExamples(records, 'reward');
		expect(pairs.length).toBe(expected.pairs);
		for (const p of pairs) {
			expect(p.chosenRank).toBeLessThan(p.rejectedRank);
			expect(p.prefix.at(-1)!.role).toBe('user');
			expect(p.chosen).not.toBe(p.rejected);
		}
		// A group of k ranked replies gives k(k−1)/2 pairs: the first tree's prompt has its replies ranked.
		const root = trees[0]!.prompt;
		const k = (root.replies ?? []).filter((r) => r.role === 'assistant' && r.rank != null).length;
		const fromRoot = pairs.filter((p) => p.prefix.length === 1 && p.prefix[0]!.content === root.text);
		expect(fromRoot.length).toBe((k * (k - 1)) / 2);
		const best = (root.replies ?? []).find((r) => r.rank === 0)!;
		expect(fromRoot.filter((p) => p.chosen === best.text).length).toBe(k - 1);
	});

	it('DPO triples are the same comparisons with their thread prefix', () => {
		const dpo = preferenceExamples(records, 'dpo');
		expect(dpo.map((d) => d.id)).toEqual(preferenceExamples(records, 'reward').map((d) => d.id));
		expect(dpo.every((d) => d.kind === 'dpo' && d.prefix.length % 2 === 1)).toBe(true);
	});

	it('splits by tree, deterministically, holding out about the asked fraction', () => {
		for (const objective of ['sft', 'reward', 'dpo'] as const) {
			const a = buildDataset(records, objective);
			const b = buildDataset([...records].reverse().reverse(), objective);
			expect(a.validation.map((e) => e.id)).toEqual(b.validation.map((e) => e.id));
			const trainTrees = new Set(a.train.map((e) => e.treeId));
			expect(a.validation.some((e) => trainTrees.has(e.treeId))).toBe(false);
			expect(a.validation.length).toBeGreaterThan(0);
		}
		const held = trees.filter((t) => splitOf(t.message_tree_id, 0.2) === 'validation').length;
		expect(held).toBeGreaterThan(5);
		expect(held).toBeLessThan(35);
		expect(trees.filter((t) => splitOf(t.message_tree_id, 0) === 'validation')).toHaveLength(0);
		expect(trees.filter((t) => splitOf(t.message_tree_id, 1) === 'validation')).toHaveLength(100);
		expect(fnv1a('a')).toBe(0xe40c292c); // the published FNV-1a test vector
	});

	it('renders plain text for models without a chat template', () => {
		const [e] = sftExamples(records);
		expect(plainText(e!)).toMatch(/^User: How can I find the best 401k plan for my needs\?\nAssistant: /);
	});

	it('a bad line is named', () => {
		expect(() => recordsOfLines(['{"message_id": 5}'])).toThrow(/line 1/);
	});
});
