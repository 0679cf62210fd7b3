import { randomUUID } from 'node:crypto';
import { beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../testing/dialects.js';
import { harness, ruleOf, type Harness } from '../testing/harness.js';
import { label } from '../testing/flows.js';
import type { Db } from '../env.js';
import { updateTreeSettings } from './settings.js';

/** Insert a ranked-ready tree directly (as an import would): a prompt with two accepted replies. */
async function insertTree(db: Db, lang: string, state: 'backlog_ranking' | 'scoring_failed' | 'ranking') {
	const [root, a, b] = [randomUUID(), randomUUID(), randomUUID()];
	const base = { message_tree_id: root, task_id: null, frontend_message_id: null, created_date: '2025-01-01T00:00:00.000Z', lang, review_result: 1, review_count: 3, rank: null, model_name: null, label_totals: null };
	await db.insertInto('message').values({ ...base, id: root, parent_id: null, user_id: 'ext-1', role: 'prompter', text: 'q', depth: 0, children_count: 2 }).execute();
	await db.insertInto('message').values({ ...base, id: a, parent_id: root, user_id: 'ext-2', role: 'assistant', text: 'a', depth: 1 }).execute();
	await db.insertInto('message').values({ ...base, id: b, parent_id: root, user_id: 'ext-3', role: 'assistant', text: 'b', depth: 1 }).execute();
	await db.insertInto('message_tree_state').values({ message_tree_id: root, goal_tree_size: 3, max_depth: 3, max_children_count: 3, state, active: state === 'ranking' ? 1 : 0, origin: 'import', won_prompt_lottery_date: null, lang }).execute();
	return { root, a, b };
}

describeEachDialect('tree manager', (handle) => {
	let h: Harness;
	beforeAll(async () => {
		h = harness(handle.current, { seed: 11 });
		await updateTreeSettings(h.env.db, { num_reviews_initial_prompt: 1, num_reviews_reply: 1, num_required_rankings: 1, p_activate_backlog_tree: 1 });
	});

	it('activates a backlog tree when another tree stops, and scores it after its rankings', async () => {
		const lang = 'ca';
		const backlog = await insertTree(h.env.db, lang, 'backlog_ranking');
		const [author, reviewer] = await Promise.all([h.user('ca-author'), h.user('ca-reviewer')]);
		const task = await author.caller.tasks.request({ type: 'initial_prompt', lang });
		await author.caller.tasks.ack({ taskId: task.id, frontendMessageId: 'ca' });
		await author.caller.tasks.submitReply({ taskId: task.id, clientId: 'ca', text: 'Spam!' });
		await label(reviewer.caller, 'label_initial_prompt', lang, true); // rejected: the tree stops
		expect((await author.caller.messages.tree({ id: backlog.root })).state).toBe('ranking');
		const rank = await reviewer.caller.tasks.request({ type: 'rank_assistant_replies', lang });
		await reviewer.caller.tasks.ack({ taskId: rank.id, frontendMessageId: 'r' });
		await reviewer.caller.tasks.submitRanking({ taskId: rank.id, clientId: 'r', ranking: [1, 0] });
		expect((await author.caller.messages.tree({ id: backlog.root })).state).toBe('ready_for_export');
	});

	it('keeps at most max_active_trees growing per language; the lottery fills free places', async () => {
		const lang = 'cd';
		await updateTreeSettings(h.env.db, { max_active_trees: 1 });
		const reviewer = await h.user('cd-reviewer');
		const roots: string[] = [];
		for (const name of ['p1', 'p2']) {
			const u = await h.user(`cd-${name}`);
			const task = await u.caller.tasks.request({ type: 'initial_prompt', lang });
			await u.caller.tasks.ack({ taskId: task.id, frontendMessageId: name });
			roots.push((await u.caller.tasks.submitReply({ taskId: task.id, clientId: name, text: `Prompt ${name}` })).messageId!);
			await label(reviewer.caller, 'label_initial_prompt', lang);
		}
		await reviewer.caller.tasks.availability({ lang });
		const states = async () => Promise.all(roots.map(async (id) => (await reviewer.caller.messages.tree({ id })).state));
		expect((await states()).sort()).toEqual(['growing', 'prompt_lottery_waiting']);
		const admin = await h.user('cd-admin', 'admin');
		const growing = roots[(await states()).indexOf('growing')];
		await admin.caller.moderation.haltTree({ treeId: growing });
		await reviewer.caller.tasks.availability({ lang });
		expect((await states()).filter((s) => s === 'growing')).toHaveLength(1);
		await updateTreeSettings(h.env.db, { max_active_trees: 10 });
	});

	it('retries scoring_failed trees', async () => {
		const t = await insertTree(h.env.db, 'cb', 'scoring_failed');
		await h.env.db.insertInto('message_reaction').values({ id: randomUUID(), task_id: null, user_id: 'ext-9', message_id: t.root, message_tree_id: t.root, kind: 'ranking', payload: JSON.stringify({ ranked_message_ids: [t.b, t.a] }), not_rankable: 0, created_date: '2025-01-01T00:00:00.000Z' }).execute();
		const admin = await h.user('cb-admin', 'admin');
		expect(await admin.caller.moderation.retryScoring()).toEqual({ retried: 1, exported: 1 });
		const tree = await admin.caller.messages.tree({ id: t.root });
		expect(tree.messages.find((m) => m.id === t.b)?.rank).toBe(0);
	});

	it('takes a shared chat conversation into review, assistant turns synthetic', async () => {
		const u = await h.user('cc-sharer');
		const turns = [
			{ role: 'prompter' as const, text: 'What is 2+2?' },
			{ role: 'assistant' as const, text: '4', modelName: 'oasis-tiny' }
		];
		const { messageTreeId } = await u.caller.messages.share({ clientId: 'chat-1', lang: 'cc', turns });
		expect(await u.caller.messages.share({ clientId: 'chat-1', lang: 'cc', turns })).toEqual({ messageTreeId }); // idempotent
		const tree = await u.caller.messages.tree({ id: messageTreeId });
		expect(tree.state).toBe('initial_prompt_review');
		expect(tree.messages.map((m) => [m.role, m.synthetic, m.modelName])).toEqual([
			['prompter', false, null],
			['assistant', true, 'oasis-tiny']
		]);
		expect(await ruleOf(u.caller.messages.share({ clientId: 'chat-2', lang: 'cc', turns: [turns[1]] }))).toBe('role_alternation');
	});
});
