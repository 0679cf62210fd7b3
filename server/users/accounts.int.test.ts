import { beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../testing/dialects.js';
import { harness, ruleOf, type Harness } from '../testing/harness.js';
import { label, write } from '../testing/flows.js';
import { updateTreeSettings } from '../trees/settings.js';
import { decodeCursor } from '../trees/messages.service.js';
import { deleteAccount } from './account.service.js';

describeEachDialect('accounts, the message browser and user management', (handle) => {
	let h: Harness;
	beforeAll(async () => {
		h = harness(handle.current, { seed: 11 });
		await updateTreeSettings(h.env.db, { num_reviews_initial_prompt: 1, num_reviews_reply: 1 });
	});

	it('keeps settings: language (validated), display name, leaderboard visibility', async () => {
		const u = await h.user('settings-user');
		expect(await u.caller.auth.me()).toMatchObject({ displayName: 'settings-user', language: null });
		expect(await u.caller.auth.updateSettings({ language: 'de', displayName: '  Grete ' })).toEqual({ displayName: 'Grete', language: 'de', showOnLeaderboard: true });
		expect(await (await h.caller(u.token)).auth.me()).toMatchObject({ displayName: 'Grete', language: 'de' });
		await expect(u.caller.auth.updateSettings({ language: 'xx' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
		await expect(u.caller.auth.updateSettings({ language: 'pt-br' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
		await expect(u.caller.auth.updateSettings({ displayName: '   ' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
		expect((await u.caller.auth.updateSettings({ language: 'pt-BR' })).language).toBe('pt-BR');
		expect((await u.caller.auth.updateSettings({ language: null })).language).toBeNull();
		expect(await ruleOf((await h.caller()).auth.settings())).toBe('not_signed_in');

		// Leaderboard opt-out is read at once (the board itself is cached for minutes).
		await write(u.caller, 'initial_prompt', 'ka');
		const onBoard = async () => (await u.caller.community.leaderboard({ frame: 'total' })).some((r) => r.userId === u.id);
		expect(await onBoard()).toBe(true);
		expect((await u.caller.auth.updateSettings({ showOnLeaderboard: false })).showOnLeaderboard).toBe(false);
		expect(await onBoard()).toBe(false);
		await u.caller.auth.updateSettings({ showOnLeaderboard: true });
		expect(await onBoard()).toBe(true);
	});

	it('deletes an account: messages stay, the person is anonymised and signed out; the last admin cannot', async () => {
		const anon = await h.caller();
		await anon.auth.signUp({ email: 'leaving@example.org', password: 'a long password', displayName: 'Leaving' });
		const signIn = () => h.caller().then((c) => c.auth.signIn({ email: 'leaving@example.org', password: 'a long password' }));
		const leaving = (await signIn()).user;
		const u = await h.user('leaving-dev');
		const messageId = await write(u.caller, 'initial_prompt', 'kb', 'A prompt that outlives its author.');
		expect(await ruleOf(u.caller.auth.deleteAccount({ confirm: false as true }))).not.toBeNull();
		expect(await u.caller.auth.deleteAccount({ confirm: true })).toEqual({ deleted: true, messagesKept: 1 });
		expect(await (await h.caller(u.token)).auth.me()).toBeNull(); // the session is gone
		const row = await h.env.db.selectFrom('user').selectAll().where('id', '=', u.id).executeTakeFirstOrThrow();
		expect(row).toMatchObject({ deleted: 1, enabled: 0, show_on_leaderboard: 0 });
		expect(row.display_name).toMatch(/^Deleted user [0-9a-f]{8}$/);
		const message = await (await h.caller()).messages.get({ id: messageId });
		expect(message).toMatchObject({ text: 'A prompt that outlives its author.', deleted: false });
		// The same dev name now makes a new, unrelated user.
		expect((await h.user('leaving-dev')).id).not.toBe(u.id);

		// A password account: its sign-in goes, so the email can sign up again as someone new.
		expect(leaving.displayName).toBe('Leaving');
		await deleteAccount(h.env, leaving.id);
		expect(await ruleOf(signIn())).toBe('bad_credentials');
		const again = await anon.auth.signUp({ email: 'leaving@example.org', password: 'another long password', displayName: 'Back' });
		expect(again.user.id).not.toBe(leaving.id);

		const admin = await h.user('sole-admin', 'admin');
		expect(await ruleOf(admin.caller.auth.deleteAccount({ confirm: true }))).toBe('last_admin');
		expect(await admin.caller.auth.me()).toMatchObject({ role: 'admin' });
	});

	it('lists messages newest first with filters and a stable cursor; hides deleted ones from non-moderators', async () => {
		const [a, b, reviewer] = await Promise.all(['list-a', 'list-b', 'list-reviewer'].map((n) => h.user(n)));
		const mod = await h.user('list-mod', 'moderator');
		const ids: string[] = [];
		for (let i = 0; i < 5; i++) {
			h.clock.ms += 1000;
			ids.push(await write(i % 2 ? b.caller : a.caller, 'initial_prompt', 'kc', `Browser prompt ${i}: 100% real_text`));
		}
		await label(reviewer.caller, 'label_initial_prompt', 'kc');
		const anon = await h.caller();
		const page1 = await anon.messages.list({ lang: 'kc', limit: 2 });
		expect(page1.items.map((m) => m.id)).toEqual([ids[4], ids[3]]);
		expect(page1.items[0]).toMatchObject({ lang: 'kc', role: 'prompter', isMine: false });
		const page2 = await anon.messages.list({ lang: 'kc', limit: 2, cursor: page1.nextCursor! });
		expect(page2.items.map((m) => m.id)).toEqual([ids[2], ids[1]]);
		const page3 = await anon.messages.list({ lang: 'kc', limit: 2, cursor: page2.nextCursor! });
		expect(page3).toMatchObject({ items: [{ id: ids[0] }], nextCursor: null });
		expect(decodeCursor('not a cursor')).toBeNull();
		expect(await ruleOf(anon.messages.list({ cursor: 'bm90IGEgY3Vyc29y' }))).toBe('bad_cursor');

		expect((await b.caller.messages.list({ lang: 'kc', mine: true })).items.map((m) => m.id)).toEqual([ids[3], ids[1]]);
		expect((await b.caller.messages.list({ lang: 'kc', mine: true })).items.every((m) => m.isMine)).toBe(true);
		expect(await ruleOf(anon.messages.list({ mine: true }))).toBe('not_signed_in');
		expect((await anon.messages.list({ lang: 'kc', role: 'assistant' })).items).toEqual([]);
		// Text search ignores case and takes % and _ literally.
		expect((await anon.messages.list({ lang: 'kc', q: 'PROMPT 2: 100%' })).items.map((m) => m.id)).toEqual([ids[2]]);
		expect((await anon.messages.list({ lang: 'kc', q: '100%_' })).items).toEqual([]);
		expect((await anon.messages.list({ lang: 'kc', q: 'real_text' })).items).toHaveLength(5);

		await mod.caller.moderation.deleteMessage({ messageId: ids[4] });
		expect((await anon.messages.list({ lang: 'kc' })).items.map((m) => m.id)).not.toContain(ids[4]);
		const seen = (await mod.caller.messages.list({ lang: 'kc' })).items.find((m) => m.id === ids[4]);
		expect(seen).toMatchObject({ deleted: true });
	});

	it('shows a tree with my reactions, label summaries and report counts', async () => {
		const [author, reviewer, voter, replier] = await Promise.all(['tree-author', 'tree-reviewer', 'tree-voter', 'tree-replier'].map((n) => h.user(n)));
		const rootId = await write(author.caller, 'initial_prompt', 'kd');
		await label(reviewer.caller, 'label_initial_prompt', 'kd');
		await reviewer.caller.tasks.availability({ lang: 'kd' }); // the lottery makes it grow
		const replyId = await write(replier.caller, 'assistant_reply', 'kd');
		await voter.caller.messages.emoji({ messageId: rootId, emoji: '+1' });
		await voter.caller.messages.emoji({ messageId: replyId, emoji: '-1' });
		await voter.caller.messages.report({ messageId: replyId, labels: { spam: 1 }, text: 'advert' });
		await reviewer.caller.messages.report({ messageId: replyId, labels: { quality: 0 }, text: '' });

		const tree = await voter.caller.messages.tree({ id: rootId });
		expect(tree.state).toBe('growing');
		const root = tree.messages.find((m) => m.id === rootId)!;
		const reply = tree.messages.find((m) => m.id === replyId)!;
		expect(root).toMatchObject({ myEmojis: ['+1'], emojis: { '+1': 1 }, reportCount: 0, reviewResult: true });
		expect(root.labels.spam).toEqual({ value: 0, count: 1 });
		expect(reply).toMatchObject({ parentId: rootId, myEmojis: ['-1'], reportCount: 2, labels: {} });
		expect((await author.caller.messages.tree({ id: rootId })).messages.every((m) => m.myEmojis.length === 0)).toBe(true);

		const mod = await h.user('tree-mod', 'moderator');
		const queued = (await mod.caller.moderation.flagged({})).find((f) => f.messageId === replyId);
		expect(queued).toMatchObject({ reportCount: 2, role: 'assistant', lang: 'kd' });
	});

	it('finds users with their counts; admins set roles, nobody changes their own; bans end sessions', async () => {
		const admin = await h.user('um-admin', 'admin');
		const mod = await h.user('um-mod', 'moderator');
		const target = await h.user('um-Target_1');
		await write(target.caller, 'initial_prompt', 'ke');

		const found = await mod.caller.moderation.users({ q: 'TARGET_1' });
		expect(found.users).toEqual([expect.objectContaining({ id: target.id, displayName: 'um-Target_1', role: 'general', messageCount: 1, deleted: false })]);
		expect((await mod.caller.moderation.users({ q: target.id })).users.map((u) => u.id)).toEqual([target.id]);
		expect((await mod.caller.moderation.users({ q: 'um-', role: 'moderator' })).users.map((u) => u.id)).toEqual([mod.id]);
		const paged = await mod.caller.moderation.users({ q: 'um-', limit: 2 });
		expect(paged.users).toHaveLength(2);
		expect((await mod.caller.moderation.users({ q: 'um-', limit: 2, offset: paged.nextOffset! })).users).toHaveLength(1);
		expect(await ruleOf(target.caller.moderation.users({}))).toBe('role_required');

		expect(await mod.caller.moderation.user({ userId: target.id })).toMatchObject({ role: 'general', counts: { messages: 1, deletedMessages: 0, labels: 0 } });
		expect(await ruleOf(mod.caller.moderation.user({ userId: '00000000-0000-4000-8000-000000000000' }))).toBe('user_not_found');

		expect(await ruleOf(mod.caller.moderation.setRole({ userId: target.id, role: 'moderator' }))).toBe('role_required');
		expect(await ruleOf(admin.caller.moderation.setRole({ userId: admin.id, role: 'general' }))).toBe('not_on_yourself');
		expect(await ruleOf(mod.caller.moderation.banUser({ userId: mod.id }))).toBe('not_on_yourself');
		expect(await admin.caller.moderation.setRole({ userId: target.id, role: 'moderator' })).toEqual({ role: 'moderator' });
		expect(await mod.caller.moderation.banUser({ userId: target.id, banned: false })).toEqual({ role: 'moderator' }); // not banned: unchanged

		expect(await mod.caller.moderation.banUser({ userId: target.id })).toEqual({ role: 'banned' });
		expect(await (await h.caller(target.token)).auth.me()).toBeNull(); // signed out everywhere
		const back = await h.user('um-Target_1');
		expect(await ruleOf(back.caller.tasks.request({ type: 'initial_prompt', lang: 'ke' }))).toBe('banned');
		expect(await mod.caller.moderation.banUser({ userId: target.id, banned: false })).toEqual({ role: 'general' });
		expect(await ruleOf((await h.caller(back.token)).tasks.request({ type: 'initial_prompt', lang: 'ke' }))).toBeNull();
	});
});
