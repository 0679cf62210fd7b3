import { beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../testing/dialects.js';
import { harness, ruleOf, type Harness } from '../testing/harness.js';
import { label, take, write } from '../testing/flows.js';
import { randomUUID } from 'node:crypto';
import { getTreeSettings, updateTreeSettings } from './settings.js';
import { claimTask, type DrawnTask } from './tasks.service.js';
import { loadWorkView } from './work-view.js';

// Each test works in its own language, so trees of one test are invisible to the others.
describeEachDialect('tasks', (handle) => {
	let h: Harness;
	beforeAll(async () => {
		h = harness(handle.current, { seed: 3 });
		await updateTreeSettings(h.env.db, { num_reviews_initial_prompt: 2, num_reviews_reply: 1, goal_tree_size: 4, num_required_rankings: 2, p_lonely_child_extension: 0 });
	});

	/** A prompt by `author`, accepted by two reviewers and activated by the lottery. */
	async function growingTree(lang: string) {
		const [author, r1, r2] = await Promise.all(['author', 'reviewer1', 'reviewer2'].map((n) => h.user(`${lang}-${n}`)));
		const rootId = await write(author.caller, 'initial_prompt', lang);
		expect((await author.caller.tasks.availability({ lang })).label_initial_prompt).toBe(0); // no self-labelling
		expect((await r1.caller.tasks.availability({ lang })).label_initial_prompt).toBe(1);
		await label(r1.caller, 'label_initial_prompt', lang);
		expect((await r1.caller.tasks.availability({ lang })).label_initial_prompt).toBe(0); // labelled once
		await label(r2.caller, 'label_initial_prompt', lang);
		expect((await author.caller.messages.tree({ id: rootId })).state).toBe('prompt_lottery_waiting');
		expect((await r1.caller.tasks.availability({ lang })).assistant_reply).toBe(1); // the lottery ran
		expect((await r1.caller.messages.tree({ id: rootId })).state).toBe('growing');
		return { rootId, author, r1, r2 };
	}

	it('claims a reply task only while the reply would still be accepted', async () => {
		// The draw reads outside a transaction, so a parent can fill between the draw and the claim.
		const settings = await getTreeSettings(h.env.db);
		const claim = async (lang: string, userId: string, parentId: string) => {
			const now = h.env.now();
			const task: DrawnTask = { id: randomUUID(), type: 'assistant_reply', payload: '{}', user_id: userId, lang, created_date: now.toISOString(), expiry_date: new Date(now.getTime() + 60_000).toISOString(), message_tree_id: parentId, parent_message_id: parentId };
			return claimTask(h.env, task, settings, now, false);
		};
		const lang = 'zs';
		const { rootId } = await growingTree(lang);
		const writers = await Promise.all(Array.from({ length: settings.max_children_count }, (_, i) => h.user(`${lang}-w${i}`)));
		const late = await h.user(`${lang}-late`);
		expect(await claim(lang, writers[0].id, rootId)).toBe('ok'); // room, and nobody holds it
		await h.env.db.updateTable('task').set({ done: 1 }).where('user_id', '=', writers[0].id).execute();
		for (const w of writers) await write(w.caller, 'assistant_reply', lang);
		expect(await claim(lang, writers[0].id, rootId)).toBe('taken'); // already replied
		expect(await claim(lang, late.id, rootId)).toBe('taken'); // full: max_children_count live replies
		const other = await growingTree('zt');
		const mod = await h.user('zt-mod', 'moderator');
		await mod.caller.moderation.haltTree({ treeId: other.rootId });
		expect(await claim('zt', late.id, other.rootId)).toBe('taken'); // the tree stopped growing
	});

	it('acks only an open, unexpired task of the user, and says which rule refused it', async () => {
		const lang = 'zu';
		const [a, b] = await Promise.all(['a', 'b'].map((n) => h.user(`${lang}-${n}`)));
		const row = (id: string) => h.env.db.selectFrom('task').select(['ack', 'frontend_message_id']).where('id', '=', id).executeTakeFirstOrThrow();
		const first = await a.caller.tasks.request({ type: 'initial_prompt', lang });
		expect(await ruleOf(b.caller.tasks.ack({ taskId: first.id, frontendMessageId: 'zu-b' }))).toBe('task_not_yours');
		expect(await row(first.id)).toEqual({ ack: null, frontend_message_id: null });
		await a.caller.tasks.ack({ taskId: first.id, frontendMessageId: 'zu-1' });
		await a.caller.tasks.ack({ taskId: first.id, frontendMessageId: 'zu-1' }); // a repeat is harmless
		expect(await row(first.id)).toEqual({ ack: 1, frontend_message_id: 'zu-1' });
		await a.caller.tasks.submitReply({ taskId: first.id, clientId: 'zu-1', text: 'A question about the ack rules, asked only once.' });
		expect(await ruleOf(a.caller.tasks.ack({ taskId: first.id, frontendMessageId: 'zu-1' }))).toBe('task_done');
		const skipped = await a.caller.tasks.request({ type: 'initial_prompt', lang });
		await a.caller.tasks.nack({ taskId: skipped.id, reason: 'not now' });
		expect(await ruleOf(a.caller.tasks.ack({ taskId: skipped.id, frontendMessageId: 'zu-2' }))).toBe('task_skipped');
		const late = await a.caller.tasks.request({ type: 'initial_prompt', lang });
		h.clock.ms = Date.parse(late.expiryDate) + 1;
		expect(await ruleOf(a.caller.tasks.ack({ taskId: late.id, frontendMessageId: 'zu-3' }))).toBe('task_expired');
		expect(await row(late.id)).toEqual({ ack: null, frontend_message_id: null });
		expect(await ruleOf(a.caller.tasks.ack({ taskId: randomUUID(), frontendMessageId: 'zu-4' }))).toBe('task_not_found');
	});

	it('takes a prompt through review and the lottery into growing', async () => {
		await growingTree('aa');
	});

	it('never hands out an item the user already holds an open task for', async () => {
		const lang = 'zq';
		const [author, reviewer] = await Promise.all(['a', 'r'].map((n) => h.user(`${lang}-${n}`)));
		await write(author.caller, 'initial_prompt', lang);
		expect((await reviewer.caller.tasks.availability({ lang })).label_initial_prompt).toBe(1);
		const held = await take(reviewer.caller, 'label_initial_prompt', lang); // e.g. kept in an offline stock
		expect((await reviewer.caller.tasks.availability({ lang })).label_initial_prompt).toBe(0);
		expect(await ruleOf(reviewer.caller.tasks.request({ type: 'label_initial_prompt', lang }))).toBe('no_tasks');
		await reviewer.caller.tasks.nack({ taskId: held.id, reason: 'not now' });
		expect((await reviewer.caller.tasks.availability({ lang })).label_initial_prompt).toBe(0); // skipped: excluded for good
	});

	it('hands a task whose answer never reached the client out again, under the same id', async () => {
		const lang = 'zr';
		const [author, reviewer] = await Promise.all(['a', 'r'].map((n) => h.user(`${lang}-${n}`)));
		const rootId = await write(author.caller, 'initial_prompt', lang);
		const lost = await reviewer.caller.tasks.request({ type: 'label_initial_prompt', lang }); // never acked: the reply was lost
		expect((await reviewer.caller.tasks.open({ lang })).map((t) => t.id)).toEqual([lost.id]);
		const again = await reviewer.caller.tasks.request({ type: 'label_initial_prompt', lang });
		expect(again).toEqual(lost);
		expect((await reviewer.caller.tasks.request({ type: 'random', lang })).id).toBe(lost.id);
		// Once acked it is the client's to answer, and is not handed out again.
		await reviewer.caller.tasks.ack({ taskId: lost.id, frontendMessageId: 'zr-1' });
		expect(await ruleOf(reviewer.caller.tasks.request({ type: 'label_initial_prompt', lang }))).toBe('no_tasks');
		expect(lost.payload).toMatchObject({ type: 'label_initial_prompt', messageId: rootId });
		await reviewer.caller.tasks.submitLabels({ taskId: lost.id, clientId: 'zr-1', messageId: rootId, labels: { spam: 0 } });
		expect(await reviewer.caller.tasks.open({ lang })).toEqual([]);
		expect(await author.caller.tasks.open({})).toEqual([]); // the author's prompt task is done
	});

	it('rejects a prompt that reviewers call spam', async () => {
		const lang = 'ab';
		const [author, r1, r2] = await Promise.all(['a', 'b', 'c'].map((n) => h.user(`${lang}-${n}`)));
		const rootId = await write(author.caller, 'initial_prompt', lang);
		await label(r1.caller, 'label_initial_prompt', lang, true);
		await label(r2.caller, 'label_initial_prompt', lang, false);
		expect((await author.caller.messages.tree({ id: rootId })).state).toBe('aborted_low_grade');
		expect((await author.caller.messages.get({ id: rootId })).reviewResult).toBe(false);
	});

	it('enforces one reply per user per parent, the recent-task exclusion and expiry', async () => {
		const lang = 'ac';
		const { r1 } = await growingTree(lang);
		const first = await take(r1.caller, 'assistant_reply', lang);
		// The parent was just handed out: nobody gets it again within recent_tasks_span_sec.
		expect(await ruleOf(r1.caller.tasks.request({ type: 'assistant_reply', lang }))).toBe('no_tasks');
		h.clock.ms += 301_000;
		const second = await take(r1.caller, 'assistant_reply', lang);
		await r1.caller.tasks.submitReply({ taskId: first.id, clientId: 'ac-1', text: 'An answer.' });
		expect(await ruleOf(r1.caller.tasks.submitReply({ taskId: second.id, clientId: 'ac-2', text: 'Another answer.' }))).toBe('already_replied');
		h.clock.ms += 301_000;
		expect(await ruleOf(r1.caller.tasks.request({ type: 'assistant_reply', lang }))).toBe('no_tasks'); // already replied

		h.clock.ms += 2 * 86_400_000 + 1;
		expect(await ruleOf(r1.caller.tasks.submitReply({ taskId: second.id, clientId: 'ac-3', text: 'Late.' }))).toBe('task_expired');
	});

	it('checks texts, acks and task ownership, and replays a repeated submission', async () => {
		const lang = 'ad';
		const { r1, r2 } = await growingTree(lang);
		const task = await r1.caller.tasks.request({ type: 'assistant_reply', lang });
		expect(await ruleOf(r1.caller.tasks.submitReply({ taskId: task.id, clientId: 'x', text: 'Hi' }))).toBe('task_not_acked');
		await r1.caller.tasks.ack({ taskId: task.id, frontendMessageId: 'f1' });
		expect(await ruleOf(r2.caller.tasks.submitReply({ taskId: task.id, clientId: 'x', text: 'Hi' }))).toBe('task_not_yours');
		expect(await ruleOf(r1.caller.tasks.submitReply({ taskId: task.id, clientId: 'x', text: ' \n\t ' }))).toBe('text_empty');
		expect(await ruleOf(r1.caller.tasks.submitReply({ taskId: task.id, clientId: 'x', text: 'x'.repeat(2001) }))).toBe('text_too_long');
		expect(await ruleOf(r1.caller.tasks.submitRanking({ taskId: task.id, clientId: 'x', ranking: [0] }))).toBe('task_type_mismatch');

		const first = await r1.caller.tasks.submitReply({ taskId: task.id, clientId: 'same-id', text: 'A real answer.' });
		const again = await r1.caller.tasks.submitReply({ taskId: task.id, clientId: 'same-id', text: 'A real answer.' });
		expect(again).toEqual(first);
		const count = await h.env.db.selectFrom('message').select('id').where('frontend_message_id', '=', 'same-id').execute();
		expect(count).toHaveLength(1);
		expect(await ruleOf(r1.caller.tasks.submitReply({ taskId: task.id, clientId: 'other-id', text: 'More.' }))).toBe('task_done');

		// The same text again within 120 minutes is refused (on a fresh prompt task).
		const prompt = await take(r1.caller, 'initial_prompt', lang);
		expect(await ruleOf(r1.caller.tasks.submitReply({ taskId: prompt.id, clientId: 'y', text: 'A real answer.' }))).toBe('text_repeated');
		h.clock.ms += 121 * 60_000;
		await r1.caller.tasks.submitReply({ taskId: prompt.id, clientId: 'y', text: 'A real answer.' });
	});

	it('nack leaves a hidden skip marker and the user is not offered the item again', async () => {
		const lang = 'ae';
		const { rootId, r1 } = await growingTree(lang);
		const task = await r1.caller.tasks.request({ type: 'assistant_reply', lang });
		await r1.caller.tasks.nack({ taskId: task.id, reason: 'not my field' });
		await r1.caller.tasks.nack({ taskId: task.id, reason: 'not my field' }); // harmless repeat
		const row = await h.env.db.selectFrom('message').select('emojis').where('id', '=', rootId).executeTakeFirstOrThrow();
		expect(JSON.parse(row.emojis)).toEqual({ _skip_reply: 1 });
		expect((await r1.caller.messages.get({ id: rootId })).emojis).toEqual({});
		h.clock.ms += 301_000;
		expect((await r1.caller.tasks.availability({ lang })).assistant_reply).toBe(0);
		expect(await ruleOf(r1.caller.tasks.submitReply({ taskId: task.id, clientId: 'z', text: 'Hm.' }))).toBe('task_skipped');
	});

	it('limits pending tasks to max_pending_tasks_per_user within 5 minutes', async () => {
		const lang = 'af';
		const u = await h.user('pending-user');
		for (let i = 0; i < 8; i++) await u.caller.tasks.request({ type: 'initial_prompt', lang });
		expect(await ruleOf(u.caller.tasks.request({ type: 'initial_prompt', lang }))).toBe('too_many_pending');
		h.clock.ms += 5 * 60_000 + 1;
		await u.caller.tasks.request({ type: 'initial_prompt', lang });
	});

	it('validates labels against the task', async () => {
		const lang = 'ag';
		const [author, r1] = await Promise.all([h.user('ag-author'), h.user('ag-r1')]);
		await write(author.caller, 'initial_prompt', lang);
		const task = await take(r1.caller, 'label_initial_prompt', lang);
		const messageId = (task.payload as { messageId: string }).messageId;
		expect(await ruleOf(r1.caller.tasks.submitLabels({ taskId: task.id, clientId: 'l', messageId, labels: { quality: 1 } }))).toBe('invalid_labels');
		expect(await ruleOf(r1.caller.tasks.submitLabels({ taskId: task.id, clientId: 'l', messageId, labels: { spam: 0, helpfulness: 1 } }))).toBe('invalid_labels');
		expect(await ruleOf(r1.caller.tasks.submitLabels({ taskId: task.id, clientId: 'l', messageId, labels: { spam: 2 } }))).toBe('invalid_labels');
		// Malformed input never reaches the service: zod refuses it with BAD_REQUEST.
		await expect(r1.caller.tasks.submitLabels({ taskId: 'not-a-uuid', clientId: 'l', messageId, labels: {} })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
		await r1.caller.tasks.submitLabels({ taskId: task.id, clientId: 'l', messageId, labels: { spam: 0, quality: 0.5 } });
	});

	it('ranks replies: permutations only, not-rankable ballots recorded but not counted, then scored', async () => {
		const lang = 'ah';
		const { rootId, author, r1, r2 } = await growingTree(lang);
		const r3 = await h.user('ah-r3');
		const replies = [];
		for (const u of [r1, r2, r3]) {
			replies.push(await write(u.caller, 'assistant_reply', lang));
			h.clock.ms += 1000;
		}
		const reviewer = await h.user('ah-reviewer');
		for (let i = 0; i < 3; i++) await label(reviewer.caller, 'label_assistant_reply', lang);
		expect((await author.caller.messages.tree({ id: rootId })).state).toBe('ranking');
		// Authors of the replies are never asked to rank them.
		expect((await r1.caller.tasks.availability({ lang })).rank_assistant_replies).toBe(0);

		const [x, y] = await Promise.all([h.user('ah-x'), h.user('ah-y')]);
		const tx = await take(x.caller, 'rank_assistant_replies', lang);
		expect(tx.payload.type).toBe('rank_assistant_replies');
		if (tx.payload.type !== 'rank_assistant_replies') return;
		expect(tx.payload.replyMessages.map((r) => r.id).sort()).toEqual([...replies].sort());
		expect(tx.payload.replyMessages.every((r) => r.synthetic === undefined)).toBe(true);
		expect(await ruleOf(x.caller.tasks.submitRanking({ taskId: tx.id, clientId: 'r', ranking: [0, 0, 1] }))).toBe('ranking_permutation');
		expect(await ruleOf(x.caller.tasks.submitRanking({ taskId: tx.id, clientId: 'r', ranking: [0, 1] }))).toBe('ranking_permutation');
		const best = tx.payload.replyMessages.map((r) => r.id);
		await x.caller.tasks.submitRanking({ taskId: tx.id, clientId: 'r', ranking: [0, 1, 2] });

		const ty = await take(y.caller, 'rank_assistant_replies', lang);
		await y.caller.tasks.submitRanking({ taskId: ty.id, clientId: 'r', ranking: [], notRankable: true });
		expect((await author.caller.messages.tree({ id: rootId })).state).toBe('ranking'); // not counted
		const ballots = await h.env.db.selectFrom('message_reaction').select('not_rankable').where('message_id', '=', rootId).execute();
		expect(ballots.map((b) => b.not_rankable).sort()).toEqual([0, 1]);
		// The work view: both rankers ranked the parent (any ballot); one ranking counts.
		const viewOf = async (userId: string) => loadWorkView(h.env.db, userId, lang, h.env.now(), await getTreeSettings(h.env.db));
		for (const u of [x, y]) expect((await viewOf(u.id)).ranked.has(rootId)).toBe(true);
		const other = await viewOf(author.id);
		expect(other.ranked.has(rootId)).toBe(false);
		expect(other.rankingCounts.get(rootId)).toBe(1);
		expect((await y.caller.tasks.availability({ lang })).rank_assistant_replies).toBe(0);

		const ta = await take(author.caller, 'rank_assistant_replies', lang);
		if (ta.payload.type !== 'rank_assistant_replies') return;
		const order = best.map((id) => ta.payload.type === 'rank_assistant_replies' ? ta.payload.replyMessages.findIndex((r) => r.id === id) : -1);
		await author.caller.tasks.submitRanking({ taskId: ta.id, clientId: 'r', ranking: order });
		const tree = await author.caller.messages.tree({ id: rootId });
		expect(tree.state).toBe('ready_for_export');
		const rank = (id: string) => tree.messages.find((m) => m.id === id)!.rank;
		expect(best.map(rank)).toEqual([0, 1, 2]);
	});
});
