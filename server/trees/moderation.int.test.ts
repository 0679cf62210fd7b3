import { beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../testing/dialects.js';
import { harness, ruleOf, type Harness } from '../testing/harness.js';
import { label, write } from '../testing/flows.js';
import { updateTreeSettings } from './settings.js';

describeEachDialect('emoji and moderation', (handle) => {
	let h: Harness;
	beforeAll(async () => {
		h = harness(handle.current, { seed: 5 });
		await updateTreeSettings(h.env.db, { num_reviews_initial_prompt: 1, num_reviews_reply: 1, auto_mod_max_skip_reply: 2 });
	});

	async function growing(lang: string) {
		const [author, reviewer] = await Promise.all([h.user(`${lang}-author`), h.user(`${lang}-reviewer`)]);
		const rootId = await write(author.caller, 'initial_prompt', lang);
		await label(reviewer.caller, 'label_initial_prompt', lang);
		await reviewer.caller.tasks.availability({ lang }); // runs the lottery
		return { rootId, author, reviewer };
	}

	it('keeps +1 and -1 exclusive, refuses thumbs on own messages, hides skip markers', async () => {
		const { rootId, author, reviewer } = await growing('ba');
		expect((await reviewer.caller.messages.emoji({ messageId: rootId, emoji: '+1' })).emojis).toEqual({ '+1': 1 });
		const after = await reviewer.caller.messages.emoji({ messageId: rootId, emoji: '-1', op: 'add' });
		expect(after).toEqual({ emojis: { '-1': 1 }, mine: ['-1'] });
		expect((await reviewer.caller.messages.emoji({ messageId: rootId, emoji: '-1' })).emojis).toEqual({}); // toggled off
		expect(await ruleOf(author.caller.messages.emoji({ messageId: rootId, emoji: '+1' }))).toBe('own_message_vote');
		await expect(author.caller.messages.emoji({ messageId: rootId, emoji: '_skip_reply' as '+1' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
	});

	it('queues red-flagged messages and aborts a prompt at auto_mod_red_flags flags', async () => {
		const { rootId } = await growing('bb');
		const mod = await h.user('bb-mod', 'moderator');
		const flaggers = await Promise.all([1, 2, 3, 4].map((i) => h.user(`bb-flagger-${i}`)));
		await flaggers[0].caller.messages.emoji({ messageId: rootId, emoji: 'red_flag' });
		const queue = await mod.caller.moderation.flagged({});
		expect(queue.map((f) => f.messageId)).toContain(rootId);
		await mod.caller.moderation.markFlagProcessed({ messageId: rootId });
		expect((await mod.caller.moderation.flagged({})).map((f) => f.messageId)).not.toContain(rootId);
		for (const f of flaggers.slice(1)) await f.caller.messages.emoji({ messageId: rootId, emoji: 'red_flag' });
		expect((await mod.caller.messages.tree({ id: rootId })).state).toBe('aborted_low_grade');
		expect((await mod.caller.moderation.flagged({})).find((f) => f.messageId === rootId)?.redFlags).toBe(4);
	});

	it('halts a tree at auto_mod_max_skip_reply reply skips', async () => {
		const { rootId } = await growing('bc');
		for (const name of ['s1', 's2']) {
			const u = await h.user(`bc-${name}`);
			const task = await u.caller.tasks.request({ type: 'assistant_reply', lang: 'bc' });
			await u.caller.tasks.nack({ taskId: task.id, reason: 'skip' });
		}
		expect((await (await h.caller()).messages.tree({ id: rootId })).state).toBe('halted_by_moderator');
	});

	it('halts and resumes a tree; deletes and undeletes a subtree', async () => {
		const { rootId, reviewer } = await growing('bd');
		const mod = await h.user('bd-mod', 'moderator');
		const replier = await h.user('bd-replier');
		const replyId = await write(replier.caller, 'assistant_reply', 'bd');
		expect(await ruleOf(replier.caller.moderation.haltTree({ treeId: rootId }))).toBe('role_required');
		expect((await mod.caller.moderation.haltTree({ treeId: rootId })).state).toBe('halted_by_moderator');
		expect((await replier.caller.tasks.availability({ lang: 'bd' })).label_assistant_reply).toBe(0);
		expect(await ruleOf(mod.caller.moderation.resumeTree({ treeId: replyId }))).toBe('tree_not_found');
		expect((await mod.caller.moderation.resumeTree({ treeId: rootId })).state).toBe('growing');
		expect(await ruleOf(mod.caller.moderation.resumeTree({ treeId: rootId }))).toBe('invalid_state');

		expect(await mod.caller.moderation.deleteMessage({ messageId: replyId })).toEqual({ count: 1 });
		expect(await ruleOf(reviewer.caller.messages.get({ id: replyId }))).toBe('message_not_found');
		expect((await mod.caller.messages.get({ id: replyId })).deleted).toBe(true);
		expect((await reviewer.caller.messages.get({ id: rootId })).childrenCount).toBe(0);
		await mod.caller.moderation.undeleteMessage({ messageId: replyId });
		expect((await reviewer.caller.messages.get({ id: rootId })).childrenCount).toBe(1);
		expect(await mod.caller.moderation.deleteMessage({ messageId: rootId })).toEqual({ count: 2 });
		expect((await mod.caller.messages.tree({ id: rootId })).state).toBe('halted_by_moderator'); // every message deleted
	});

	it('edits with revision history; bans and purges users; reports reach the queue', async () => {
		const { rootId, author, reviewer } = await growing('be');
		expect(await ruleOf(reviewer.caller.moderation.editMessage({ messageId: rootId, text: 'changed' }))).toBe('role_required');
		const original = (await author.caller.messages.get({ id: rootId })).text;
		await author.caller.moderation.editMessage({ messageId: rootId, text: 'A better question?' });
		const edited = await author.caller.messages.get({ id: rootId });
		expect(edited).toMatchObject({ text: 'A better question?', edited: true });
		expect((await author.caller.messages.revisions({ id: rootId })).map((r) => r.text)).toEqual([original]);

		expect(await ruleOf(reviewer.caller.messages.report({ messageId: rootId, labels: { quality: 0 }, text: 'bad' }))).toBeNull();
		expect(await ruleOf(reviewer.caller.messages.report({ messageId: rootId, labels: { helpfulness: 1 }, text: 'x' }))).toBe('invalid_labels');
		const admin = await h.user('be-admin', 'admin');
		expect((await admin.caller.moderation.flagged({})).map((f) => f.messageId)).toContain(rootId);

		expect(await admin.caller.moderation.purgeUser({ userId: author.id })).toEqual({ deleted: 1 });
		expect(await ruleOf(admin.caller.messages.get({ id: rootId }))).toBeNull(); // admins still see it
		expect((await admin.caller.messages.get({ id: rootId })).deleted).toBe(true);
		const user = await h.env.db.selectFrom('user').select('role').where('id', '=', author.id).executeTakeFirstOrThrow();
		expect(user.role).toBe('banned');
		expect(await ruleOf(admin.caller.moderation.banUser({ userId: admin.id }))).toBe('role_required');
		expect(await admin.caller.moderation.banUser({ userId: author.id, banned: false })).toEqual({ role: 'general' });
	});
});
