import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
	type ExportMessageTree,
	type OasstRecord,
	buildTrees,
	detectForm,
	orphanRecords,
	parseOasstLine,
	resolveTreeIds,
	toMessageLines
} from './oasst-format.js';

// server/exchange → repository root → its parent, where shared/ lives beside the checkout.
const EN_100 = new URL('../../../shared/data/oasst/en_100_tree.jsonl', import.meta.url);
const fixture = (name: string) => new URL(`./__fixtures__/${name}`, import.meta.url);

const lines = (url: URL) => readFileSync(url, 'utf8').split('\n');

/** Parse every line, failing the test on the first error. */
function parseAll(text: string[]): OasstRecord[] {
	return text.flatMap((line, i) => {
		const parsed = parseOasstLine(line, i + 1);
		if (!parsed.ok) throw new Error(parsed.message);
		return parsed.records;
	});
}

const withoutLineNo = (records: OasstRecord[]) => records.map(({ lineNo: _, ...rest }) => rest);

describe('en_100_tree.jsonl (100 real trees)', () => {
	const source = lines(EN_100).filter((l) => l.trim() !== '');
	const originals = source.map((l) => JSON.parse(l) as ExportMessageTree);
	const records = parseAll(source);

	it('flattens to 1,167 records in 100 trees', () => {
		expect(source).toHaveLength(100);
		expect(source.every((l) => parseOasstLine(l, 1).ok && detectForm(JSON.parse(l)) === 'tree')).toBe(true);
		expect(records).toHaveLength(1167);
		expect(new Set(records.map((r) => r.treeId)).size).toBe(100);
		expect(records.filter((r) => r.parentId === null)).toHaveLength(100);
		expect(records.filter((r) => r.synthetic)).toHaveLength(22);
		expect(records.filter((r) => r.modelName === 'chip20b')).toHaveLength(22);
		expect(records.every((r) => r.treeState === 'ready_for_export')).toBe(true);
	});

	it('rebuilds every tree exactly, key order included', () => {
		const rebuilt = buildTrees(records, { everything: true });
		expect(rebuilt).toHaveLength(100);
		rebuilt.forEach((tree, i) => {
			expect(tree).toStrictEqual(originals[i]);
			expect(JSON.stringify(tree)).toBe(JSON.stringify(originals[i]));
		});
	});

	it('keeps every field of every message, field by field', () => {
		const byId = new Map(buildTrees(records, { everything: true }).flatMap((t) => nodes(t.prompt)).map((n) => [n.node.message_id, n]));
		let checked = 0;
		originals.forEach((tree) => {
			for (const { node, parent } of nodes(tree.prompt)) {
				const got = byId.get(node.message_id);
				expect(got, node.message_id).toBeDefined();
				if (!got) continue;
				expect(got.parent).toBe(parent);
				expect(got.node.parent_id).toBe(node.parent_id);
				expect(Buffer.from(got.node.text, 'utf8').equals(Buffer.from(node.text, 'utf8'))).toBe(true);
				for (const field of ['role', 'lang', 'rank', 'emojis', 'synthetic', 'model_name', 'review_count', 'review_result', 'deleted'] as const) {
					expect(got.node[field], `${node.message_id}.${field}`).toStrictEqual(node[field]);
				}
				expect(got.node.replies?.map((r) => r.message_id)).toEqual(node.replies?.map((r) => r.message_id));
				checked++;
			}
		});
		expect(checked).toBe(1167);
	});

	it('round-trips through flat message lines', () => {
		const flat = toMessageLines(records, { everything: true });
		expect(flat).toHaveLength(1167);
		expect(detectForm(JSON.parse(flat[0]))).toBe('message');
		const again = resolveTreeIds(parseAll(flat));
		expect(withoutLineNo(again)).toEqual(withoutLineNo(records));
		expect(buildTrees(again, { everything: true })).toStrictEqual(originals);
	});

	it('reads the same trees from the nested message form (en_100_message.jsonl layout)', () => {
		// Upstream's nested message form: the prompt with nulls spelled out and no tree wrapper.
		const spelled = (n: Record<string, unknown>): Record<string, unknown> => ({
			parent_id: null,
			rank: null,
			emojis: null,
			labels: null,
			...n,
			replies: (n.replies as Record<string, unknown>[]).map(spelled)
		});
		const nested = originals.map((t) => JSON.stringify(spelled(t.prompt as unknown as Record<string, unknown>)));
		expect(detectForm(JSON.parse(nested[0]))).toBe('message');
		const fromNested = parseAll(nested);
		expect(withoutLineNo(fromNested)).toEqual(withoutLineNo(records).map((r) => ({ ...r, treeState: null })));
	});
});

/** Every node of a tree with its parent's id. */
function nodes(root: ExportMessageTree['prompt']) {
	const out: { node: ExportMessageTree['prompt']; parent: string | undefined }[] = [];
	const visit = (node: ExportMessageTree['prompt'], parent: string | undefined) => {
		out.push({ node, parent });
		for (const r of node.replies ?? []) visit(r, node.message_id);
	};
	visit(root, undefined);
	return out;
}

describe('Hugging Face flat rows', () => {
	const source = lines(fixture('hf-rows.jsonl'));
	const records = parseAll(source);

	it('detects the form and zips labels and emojis into maps', () => {
		expect(detectForm(JSON.parse(source[0]))).toBe('hf_row');
		expect(detectForm(JSON.parse(source[2]))).toBe('hf_row'); // no emojis or labels: told by its 18 columns
		expect(records).toHaveLength(4);
		expect(records[0].emojis).toEqual({ '+1': 10, _skip_reply: 1, _skip_ranking: 1 });
		expect(records[1].labels).toEqual({
			spam: { value: 0, count: 3 },
			fails_task: { value: 0, count: 3 },
			lang_mismatch: { value: 0, count: 3 },
			helpfulness: { value: null, count: 0 }
		});
		expect(records[0].detoxify?.severe_toxicity).toBe(3.252684837207198e-5);
		expect(records[1].text).toBe('Monopsony: one buyer, many sellers — wages set below the competitive level.\nÜber-simple, 日本語 too. 🎉');
	});

	it('nests them into one tree, replies by rank, labels as {value, count}', () => {
		const [tree] = buildTrees(records);
		expect(tree.message_tree_id).toBe('6ab24d72-0181-4594-a9cd-deaf170242fb');
		expect(tree.tree_state).toBe('ready_for_export');
		expect(tree.prompt.replies?.map((r) => r.rank)).toEqual([0, 1]);
		expect(tree.prompt.labels?.quality).toEqual({ value: 0.9166666666666666, count: 3 });
		expect(tree.prompt.replies?.[0].replies?.[0].deleted).toBe(true);
		// Upstream's rule: a false review result after only 2 reviews is not exported ...
		expect(tree.prompt.replies?.[0].replies?.[0]).not.toHaveProperty('review_result');
		// ... unless everything is kept.
		expect(buildTrees(records, { everything: true })[0].prompt.replies?.[0].replies?.[0].review_result).toBe(false);
	});

	it('round-trips through message lines', () => {
		const again = parseAll(toMessageLines(records, { everything: true }));
		const byId = new Map(withoutLineNo(again).map((r) => [r.messageId, r]));
		for (const r of withoutLineNo(records)) expect(byId.get(r.messageId)).toEqual(r);
	});
});

describe('message lines (flat, nested, orphaned)', () => {
	const source = lines(fixture('message-lines.jsonl'));
	const parsed = parseAll(source);
	const records = resolveTreeIds(parsed);
	const id = (n: number) => `b1f0c2de-0000-4000-8000-00000000000${n}`;

	it('reads flat and nested messages, skipping blank lines', () => {
		expect(parseOasstLine('', 3)).toEqual({ ok: true, form: null, records: [] });
		expect(records.map((r) => r.messageId)).toEqual([id(1), id(3), id(2), id(4), id(5), id(9)]);
		expect(records.find((r) => r.messageId === id(5))?.parentId).toBe(id(4));
		expect(records.find((r) => r.messageId === id(2))?.lineNo).toBe(4);
	});

	it('fills tree ids from the parent chain and reports messages whose parent is missing', () => {
		expect(parsed.find((r) => r.messageId === id(3))?.treeId).toBeNull();
		expect(records.filter((r) => r.treeId === id(1))).toHaveLength(5);
		expect(records.find((r) => r.messageId === id(9))?.treeId).toBeNull();
		expect(orphanRecords(records).map((r) => r.messageId)).toEqual([id(9)]);
	});

	it('sorts replies by rank, then unranked by creation time', () => {
		const [tree] = buildTrees(records);
		expect(tree.prompt.replies?.map((r) => r.message_id)).toEqual([id(2), id(4), id(3)]);
		expect(tree.prompt.replies?.[0].events?.ranking?.[0]).toMatchObject({ type: 'ranking', ranking: [0, 1] });
	});

	it('writes orphans as message lines after the trees, keeping their parent_id', () => {
		const out = toMessageLines(records, { everything: true }).map((l) => JSON.parse(l) as Record<string, unknown>);
		expect(out.map((m) => m.message_id)).toEqual([id(1), id(2), id(4), id(5), id(3), id(9)]);
		expect(out[5]).toEqual({
			message_id: id(9),
			parent_id: 'ffffffff-0000-4000-8000-00000000dead',
			user_id: 'u-5',
			text: 'My parent is not in this file.',
			role: 'prompter',
			lang: 'de'
		});
		expect(out[0].message_tree_id).toBe(id(1));
	});

	it('round-trips', () => {
		const again = resolveTreeIds(parseAll(toMessageLines(records, { everything: true })));
		const byId = new Map(withoutLineNo(again).map((r) => [r.messageId, r]));
		for (const r of withoutLineNo(records)) expect(byId.get(r.messageId)).toEqual(r);
	});
});

describe('errors', () => {
	const fail = (line: string, lineNo = 7) => {
		const r = parseOasstLine(line, lineNo);
		return r.ok ? '(parsed)' : r.message;
	};

	it('names the line and the field', () => {
		expect(fail('{"message_id": "m", "text": "hi", "role": "user"}')).toMatch(/^line 7: role: /);
		expect(fail('{"message_tree_id": "t", "prompt": {"message_id": "m", "text": "hi", "role": "prompter", "replies": [{"message_id": "r", "role": "assistant"}]}}')).toMatch(
			/^line 7: prompt\.replies\.0\.text: /
		);
		expect(fail('{"message_id": "m", "text": "hi", "role": "prompter", "emojis": {"name": ["+1"], "count": []}}')).toBe(
			'line 7: emojis: name and count have different lengths'
		);
		expect(fail('{"message_id": "m", "text": 5, "role": "prompter", "rank": -1}')).toMatch(/^line 7: text: .*\(and 1 more\)$/);
	});

	it('rejects what is not an oasst line', () => {
		expect(fail('{not json', 2)).toMatch(/^line 2: not valid JSON/);
		expect(fail('[1, 2]')).toBe('line 7: neither a message nor a tree: no message_id or message_tree_id');
		expect(fail('{"thread_id": "x", "thread": []}')).toMatch(/thread lines are not supported/);
	});
});
