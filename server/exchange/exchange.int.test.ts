import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, expect, it } from 'vitest';
import { describeEachDialect } from '../testing/dialects.js';
import { exportOasst, type ExportOptions } from './export.js';
import { importOasst } from './import.js';
import { type ExportMessageNode, type ExportMessageTree, type OasstRecord, parseOasstLine, resolveTreeIds } from './oasst-format.js';
import type { Database } from '../db/schema.js';
import { label, write } from '../testing/flows.js';
import { harness } from '../testing/harness.js';
import { updateTreeSettings } from '../trees/settings.js';
import type { Kysely } from 'kysely';

const EN_100 = new URL('../../../shared/data/oasst/en_100_tree.jsonl', import.meta.url).pathname;
const FIXTURES = new URL('./__fixtures__/', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'oasis-exchange-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function collect(db: Kysely<Database>, options: ExportOptions): Promise<string[]> {
	const lines: string[] = [];
	for await (const line of exportOasst(db, options)) lines.push(line);
	return lines;
}

const trees = (lines: string[]) => lines.map((l) => JSON.parse(l) as ExportMessageTree);

/** Records of JSONL lines, for comparing files of different forms. */
function records(lines: string[]): Map<string, OasstRecord> {
	const all = lines.flatMap((line, i) => {
		const parsed = parseOasstLine(line, i + 1);
		if (!parsed.ok) throw new Error(parsed.message);
		return parsed.records.map((r) => ({ ...r, lineNo: 0 }));
	});
	return new Map(resolveTreeIds(all).map((r) => [r.messageId, r]));
}

const FIELDS = ['message_id', 'parent_id', 'user_id', 'created_date', 'text', 'role', 'lang', 'review_count', 'review_result', 'deleted', 'rank', 'synthetic', 'model_name', 'emojis', 'labels', 'events', 'detoxify'] as const;

/** Walk two trees side by side and compare every field of every node, replies in order. */
function expectSameNode(got: ExportMessageNode, want: ExportMessageNode, path: string): number {
	for (const field of FIELDS) expect(got[field], `${path}.${field}`).toEqual(want[field]);
	const gotReplies = got.replies ?? [];
	const wantReplies = want.replies ?? [];
	expect(
		gotReplies.map((r) => r.message_id),
		`${path}.replies`
	).toEqual(wantReplies.map((r) => r.message_id));
	return 1 + wantReplies.reduce((n, r, i) => n + expectSameNode(gotReplies[i], r, `${path}.${i}`), 0);
}

/** A hand-made tree line: a prompt with replies, built from compact specs. */
type Spec = Omit<Partial<ExportMessageNode>, 'replies' | 'review_result'> & { review_result?: boolean | null; replies?: Spec[] };

function treeLine(id: string, state: string | null, prompt: Spec, replies: Spec[]): string {
	const node = (n: Spec, role: 'prompter' | 'assistant'): object => ({
		message_id: '',
		text: `text of ${n.message_id}`,
		role,
		lang: 'en',
		review_count: 3,
		review_result: true,
		deleted: false,
		synthetic: false,
		...n,
		replies: (n.replies ?? []).map((r: Spec) => node(r, role === 'prompter' ? 'assistant' : 'prompter'))
	});
	return JSON.stringify({
		message_tree_id: id,
		...(state !== null && { tree_state: state }),
		prompt: node({ message_id: id, ...prompt, replies: replies.map((r) => ({ parent_id: id, ...r })) }, 'prompter')
	});
}

describeEachDialect('oasst import and export', (handle) => {
	const db = () => handle.current.db;

	it('en_100_tree.jsonl: import, then export --everything gives back the same 100 trees, field by field', async () => {
		const source = new Map(
			readFileSync(EN_100, 'utf8')
				.trim()
				.split('\n')
				.map((l) => JSON.parse(l) as ExportMessageTree)
				.map((t) => [t.message_tree_id, t])
		);
		const result = await importOasst(db(), EN_100);
		expect(result).toMatchObject({ imported: 1167, skipped: 0, orphans: [], trees: 100, backlog: 0, forms: { tree: 100 } });
		expect(result.messages_per_second).toBeGreaterThan(0);

		const exported = trees(await collect(db(), { format: 'trees', everything: true }));
		expect(exported).toHaveLength(100);
		let nodes = 0;
		for (const tree of exported) {
			const want = source.get(tree.message_tree_id) as ExportMessageTree;
			expect(want, tree.message_tree_id).toBeDefined();
			expect(tree.tree_state).toBe(want.tree_state);
			expect(tree.origin).toBe(want.origin);
			nodes += expectSameNode(tree.prompt, want.prompt as ExportMessageNode, tree.message_tree_id);
			expect(tree).toEqual(want);
		}
		expect(nodes).toBe(1167);

		// Trees keep their terminal state; depth and children counts follow the structure.
		const states = await db().selectFrom('message_tree_state').select(['state', 'active']).distinct().execute();
		expect(states).toEqual([{ state: 'ready_for_export', active: 0 }]);
		const root = await db().selectFrom('message').selectAll().where('id', '=', '054e1df3-35e0-4bb8-a585-607dbdcd24e0').executeTakeFirstOrThrow();
		expect(root).toMatchObject({ depth: 0, children_count: 3, user_id: null, synthetic: 1, model_name: 'chip20b', review_result: 1 });
		expect(await db().selectFrom('user').select('id').execute()).toEqual([]); // no accounts created
	});

	it('re-importing the same file changes nothing and reports every message skipped', async () => {
		const before = await collect(db(), { everything: true });
		const again = await importOasst(db(), EN_100);
		expect(again).toMatchObject({ imported: 0, skipped: 1167, orphans: [], trees: 0 });
		const count = await db().selectFrom('message').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
		expect(Number(count.n)).toBe(1167);
		expect(await collect(db(), { everything: true })).toEqual(before);
	});

	it('message lines: keeps orphans with their parent_id and reports them; --everything gives every record back', async () => {
		const path = join(tmp, 'message-lines.jsonl.gz');
		const text = readFileSync(join(FIXTURES, 'message-lines.jsonl'), 'utf8');
		writeFileSync(path, gzipSync(text));
		const result = await importOasst(db(), path, { chunkSize: 2 });
		expect(result.orphans).toEqual([{ message_id: 'b1f0c2de-0000-4000-8000-000000000009', parent_id: 'ffffffff-0000-4000-8000-00000000dead' }]);
		expect(result).toMatchObject({ imported: 6, skipped: 0, trees: 1, backlog: 1 });

		const root = 'b1f0c2de-0000-4000-8000-000000000001';
		const state = await db().selectFrom('message_tree_state').select(['state', 'active']).where('message_tree_id', '=', root).executeTakeFirstOrThrow();
		expect(state).toEqual({ state: 'backlog_ranking', active: 0 }); // no state given: backlog

		const out = await collect(db(), { everything: true, format: 'messages' });
		const got = records(out);
		const want = records(text.split('\n'));
		for (const [id, r] of want) expect({ ...got.get(id), treeState: null }, id).toEqual(r);
		expect(got.get(root)?.treeState).toBe('backlog_ranking');

		// In tree form the orphan follows the trees as a message line; nothing is lost.
		const treeForm = await collect(db(), { everything: true, state: 'backlog_ranking' });
		expect(treeForm.map((l) => Object.keys(JSON.parse(l))[0])).toEqual(['message_tree_id']);
		const allForms = await collect(db(), { everything: true, lang: 'de' });
		expect(allForms.map((l) => JSON.parse(l))).toEqual([
			{ message_id: 'b1f0c2de-0000-4000-8000-000000000009', parent_id: 'ffffffff-0000-4000-8000-00000000dead', user_id: 'u-5', text: 'My parent is not in this file.', role: 'prompter', lang: 'de' }
		]);

		// When the parent arrives later, the orphan is no longer one.
		const parent = JSON.stringify({ message_id: 'ffffffff-0000-4000-8000-00000000dead', text: 'Late parent', role: 'assistant', lang: 'de' });
		const late = await importOasst(db(), { lines: [parent] });
		expect(late).toMatchObject({ imported: 1, orphans: [] });
		const adopted = await db().selectFrom('message').select(['id', 'children_count', 'depth', 'message_tree_id']).where('id', 'in', ['ffffffff-0000-4000-8000-00000000dead', 'b1f0c2de-0000-4000-8000-000000000009']).orderBy('depth').execute();
		expect(adopted.map((m) => [m.children_count, m.depth, m.message_tree_id])).toEqual([
			[1, 0, 'ffffffff-0000-4000-8000-00000000dead'],
			[0, 1, 'ffffffff-0000-4000-8000-00000000dead']
		]);
		const [line] = (await collect(db(), { everything: true, lang: 'de', format: 'messages' })).map((l) => JSON.parse(l));
		expect(line).toMatchObject({ message_id: 'ffffffff-0000-4000-8000-00000000dead', message_tree_id: 'ffffffff-0000-4000-8000-00000000dead', tree_state: 'backlog_ranking' });
	});

	it('Hugging Face rows: detected, with labels, emojis and Detoxify kept as totals', async () => {
		const text = readFileSync(join(FIXTURES, 'hf-rows.jsonl'), 'utf8');
		const result = await importOasst(db(), join(FIXTURES, 'hf-rows.jsonl'));
		expect(result).toMatchObject({ imported: 4, orphans: [], forms: { hf_row: 4 }, backlog: 0 });
		const root = '6ab24d72-0181-4594-a9cd-deaf170242fb';
		const stored = await db().selectFrom('message').select(['label_totals', 'emojis']).where('id', '=', root).executeTakeFirstOrThrow();
		expect(JSON.parse(stored.label_totals as string)).toMatchObject({ quality: { value: 0.9166666666666666, count: 3 } });
		expect(JSON.parse(stored.emojis)).toEqual({ '+1': 10, _skip_reply: 1, _skip_ranking: 1 });

		const got = records(await collect(db(), { everything: true, format: 'messages', state: 'ready_for_export', lang: 'en', user: 'c3fe8c76-fc30-4fa7-b7f8-c492f5967d18' }));
		expect([...got.keys()]).toEqual([root, '6708c47f-05c9-4346-b3d2-40b2bd24fde4']); // that author's two messages
		const all = records(await collect(db(), { everything: true, format: 'messages' }));
		for (const [id, r] of records(text.split('\n'))) expect(all.get(id), id).toEqual(r);

		// Default export: the rejected reply is left out; labels and skip markers are written.
		const [tree] = trees(await collect(db(), {})).filter((t) => t.message_tree_id === root);
		expect(tree.prompt.emojis).toEqual({ '+1': 10, _skip_reply: 1, _skip_ranking: 1 });
		expect(tree.prompt.labels?.spam).toEqual({ value: 0, count: 3 });
		expect(JSON.stringify(tree)).not.toContain('6708c47f');
		expect(tree.prompt.replies?.map((r) => r.rank)).toEqual([0, 1]);
	});

	it('default filters: only ready trees; no deleted, rejected, unreviewed, spam or synthetic messages, nor their replies', async () => {
		const lines = [
			treeLine('f-a', 'ready_for_export', { labels: { spam: { value: 0, count: 3 }, quality: { value: 0.8, count: 3 } }, user_id: 'alice' }, [
				{ message_id: 'f-a1', rank: 0, emojis: { '+1': 2, _skip_ranking: 1 } },
				{ message_id: 'f-a2', deleted: true },
				{ message_id: 'f-a3', review_result: false, replies: [{ message_id: 'f-p3' }] },
				{ message_id: 'f-a4', labels: { spam: { value: 1, count: 3 } } },
				{ message_id: 'f-a5', synthetic: true, model_name: 'chip20b' },
				{ message_id: 'f-a6', review_result: null, review_count: 1 },
				{ message_id: 'f-a7', rank: 1, user_id: 'bob', created_date: '2024-05-01T00:00:00.000Z', labels: { quality: { value: 0.5, count: 2 } }, replies: [{ message_id: 'f-p7' }] }
			]),
			treeLine('f-b', 'growing', {}, [{ message_id: 'f-b1' }]),
			treeLine('f-c', 'aborted_low_grade', {}, [])
		];
		const streamed = async function* () {
			yield* lines;
		};
		const result = await importOasst(db(), streamed());
		expect(result).toMatchObject({ imported: 13, trees: 3, backlog: 1 });
		const states = await db().selectFrom('message_tree_state').select(['message_tree_id', 'state']).where('message_tree_id', 'like', 'f-%').orderBy('message_tree_id').execute();
		expect(states.map((s) => s.state)).toEqual(['ready_for_export', 'backlog_ranking', 'aborted_low_grade']);

		// Live labels of two users (averaged per user) merge with the imported totals.
		const now = new Date().toISOString();
		await db()
			.insertInto('text_labels')
			.values([
				{ id: 'l1', message_id: 'f-a7', user_id: 'u1', task_id: null, labels: JSON.stringify({ spam: 0, quality: 1 }), mode: 'full', created_date: now },
				{ id: 'l2', message_id: 'f-a7', user_id: 'u2', task_id: null, labels: JSON.stringify({ quality: 0.5 }), mode: 'simple', created_date: now }
			])
			.execute();

		const ours = (t: ExportMessageTree) => t.message_tree_id.startsWith('f-');
		const [a, ...rest] = trees(await collect(db(), {})).filter(ours);
		expect(rest).toEqual([]);
		const ids = (n: ExportMessageNode): string[] => [n.message_id, ...(n.replies ?? []).flatMap(ids)];
		expect(ids(a.prompt)).toEqual(['f-a', 'f-a1', 'f-a7', 'f-p7']);
		expect(a.prompt.labels).toEqual({ spam: { value: 0, count: 3 }, quality: { value: 0.8, count: 3 } });
		expect(a.prompt.replies?.[0].emojis).toEqual({ '+1': 2, _skip_ranking: 1 });
		// Imported {quality: 0.5 × 2} and live {quality: 0.75 × 2 users} give 0.625 × 4.
		expect(a.prompt.replies?.[1].labels).toEqual({ quality: { value: 0.625, count: 4 }, spam: { value: 0, count: 1 } });

		const widened = trees(await collect(db(), { includeDeleted: true, includeSynthetic: true, includeSpam: true })).filter(ours);
		expect(ids(widened[0].prompt).sort()).toEqual(['f-a', 'f-a1', 'f-a2', 'f-a3', 'f-a4', 'f-a5', 'f-a6', 'f-a7', 'f-p3', 'f-p7']);
		expect(trees(await collect(db(), { state: 'all' })).filter(ours).map((t) => [t.message_tree_id, t.tree_state])).toEqual([
			['f-a', 'ready_for_export'],
			['f-b', 'backlog_ranking'],
			['f-c', 'aborted_low_grade']
		]);
		expect(await collect(db(), { lang: 'de', state: 'all' })).toEqual([]);

		const bobs = (await collect(db(), { format: 'messages', user: 'bob' })).map((l) => JSON.parse(l));
		expect(bobs.map((m) => [m.message_id, m.message_tree_id, m.tree_state])).toEqual([['f-a7', 'f-a', 'ready_for_export']]);
		const recent = (await collect(db(), { format: 'messages', since: '2024-01-01' })).map((l) => JSON.parse(l).message_id);
		expect(recent).toEqual(['f-a7']);
		const bobsTrees = trees(await collect(db(), { user: 'bob' }));
		expect(bobsTrees.map((t) => t.message_tree_id)).toEqual(['f-a']);
	});

	it('--anonymize re-keys ids consistently across forms and runs', async () => {
		const options = { state: 'all', anonymizeSeed: 'seed-1' } as const;
		const first = await collect(db(), options);
		expect(await collect(db(), options)).toEqual(first);
		const [a] = trees(first).filter((t) => t.prompt.text === 'text of f-a');
		expect(a.message_tree_id).toBe(a.prompt.message_id);
		expect(a.message_tree_id).not.toBe('f-a');
		expect(a.prompt.user_id).not.toBe('alice');
		for (const reply of a.prompt.replies ?? []) expect(reply.parent_id).toBe(a.prompt.message_id);
		const flat = (await collect(db(), { ...options, format: 'messages' })).map((l) => JSON.parse(l));
		const ids = new Set(flat.map((m) => m.message_id));
		expect(ids.has(a.prompt.message_id)).toBe(true);
		expect(flat.find((m) => m.message_id === a.prompt.message_id)?.user_id).toBe(a.prompt.user_id);
		const other = await collect(db(), { ...options, anonymizeSeed: 'seed-2' });
		expect(other).not.toEqual(first);
	});

	it('rejects an invalid line, naming it, after importing what came before', async () => {
		const lines = [treeLine('g-1', null, {}, []), '{"message_id": "g-2", "role": "robot", "text": "x"}'];
		await expect(importOasst(db(), { lines, name: 'bad.jsonl' })).rejects.toThrow(/bad\.jsonl: line 2: role/);
		const stored = await db().selectFrom('message_tree_state').select('state').where('message_tree_id', '=', 'g-1').executeTakeFirst();
		expect(stored?.state).toBe('backlog_ranking');
	});

	it('exports live trees: authors, dates, labels averaged per user, no empty emojis', async () => {
		const h = harness(handle.current, { seed: 5 });
		await updateTreeSettings(h.env.db, { num_reviews_initial_prompt: 2 });
		const [author, r1, r2] = await Promise.all(['x-author', 'x-r1', 'x-r2'].map((n) => h.user(n)));
		const id = await write(author.caller, 'initial_prompt', 'eo', 'Saluton, kiel vi fartas?');
		await label(r1.caller, 'label_initial_prompt', 'eo');
		await label(r2.caller, 'label_initial_prompt', 'eo', true);
		const [line] = (await collect(db(), { format: 'messages', state: 'all', lang: 'eo', includeSpam: true })).map((l) => JSON.parse(l));
		expect(line).toMatchObject({ message_id: id, user_id: author.id, text: 'Saluton, kiel vi fartas?', role: 'prompter', lang: 'eo', deleted: false, synthetic: false, message_tree_id: id });
		expect(line.created_date).toBe(new Date(h.clock.ms).toISOString());
		expect(line.labels.spam).toEqual({ value: 0.5, count: 2 });
		expect(line).not.toHaveProperty('emojis');
		await updateTreeSettings(h.env.db, {}, { reset: true });
	});

	it("imports upstream's seed format (a JSON array) into backlog trees", async () => {
		const seed = new URL('../../../shared/data/oasst/realistic_seed_data.json', import.meta.url).pathname;
		const result = await importOasst(db(), seed);
		expect(result).toMatchObject({ imported: 444, orphans: [], trees: 74, backlog: 74 });
		const [first] = trees(await collect(db(), { everything: true, state: 'backlog_ranking', format: 'trees' })).filter((t) => t.message_tree_id === 'b9d4wm7n');
		expect(first.prompt).toMatchObject({ message_id: 'b9d4wm7n', role: 'prompter', text: 'Hi, I want to learn to play horseshoes. Can you teach me?' });
		expect(first.prompt.replies?.[0]).toMatchObject({ message_id: '4c532nk2', parent_id: 'b9d4wm7n', role: 'assistant' });
	});
});
