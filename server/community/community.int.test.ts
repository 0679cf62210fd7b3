import { expect, it } from 'vitest';
import { describeEachDialect } from '../testing/dialects.js';
import { harness, ruleOf } from '../testing/harness.js';
import { label, write } from '../testing/flows.js';
import { updateTreeSettings } from '../trees/settings.js';

describeEachDialect('community figures', (handle) => {
	it('scores, levels, trollboard, contributions and site stats', async () => {
		const h = harness(handle.current, { seed: 21 });
		await updateTreeSettings(h.env.db, { num_reviews_initial_prompt: 1, num_reviews_reply: 1 });
		const lang = 'en';
		const [author, reviewer, writer, flagger, hidden] = await Promise.all(['author', 'reviewer', 'writer', 'flagger', 'hidden'].map((n) => h.user(n)));
		const rootId = await write(author.caller, 'initial_prompt', lang);
		await label(reviewer.caller, 'label_initial_prompt', lang); // full mode (p = 1): 2 points
		const replyId = await write(writer.caller, 'assistant_reply', lang); // 4 points
		await label(reviewer.caller, 'label_assistant_reply', lang); // 2 more; the reply is accepted: writer +4
		await flagger.caller.messages.emoji({ messageId: replyId, emoji: 'red_flag' });
		await flagger.caller.messages.emoji({ messageId: rootId, emoji: '+1' });
		await h.env.db.updateTable('user').set({ show_on_leaderboard: 0 }).where('id', '=', hidden.id).execute();

		const board = await author.caller.community.leaderboard({ frame: 'total' });
		expect(board.map((r) => [r.displayName, r.score, r.level])).toEqual([
			['writer', 8, 2],
			['reviewer', 4, 2],
			['author', 0, 1]
		]);
		expect(await author.caller.community.leaderboard({ frame: 'day' })).toHaveLength(3);

		expect(await ruleOf(author.caller.community.trollboard({}))).toBe('role_required');
		const mod = await h.user('mod', 'moderator');
		const trolls = await mod.caller.community.trollboard({ frame: 'week' });
		expect(trolls[0]).toMatchObject({ displayName: 'writer', trollScore: 3, redFlags: 1 });
		expect(trolls.find((t) => t.displayName === 'author')).toMatchObject({ trollScore: -1, upvotes: 1 });

		const mine = await writer.caller.community.myContributions({});
		expect(mine.map((m) => [m.id, m.review, m.treeState])).toEqual([[replyId, 'accepted', 'growing']]);
		const me = await writer.caller.community.myStats();
		expect(me.frames.total).toMatchObject({ score: 8, level: 2, rank: 1 });
		expect(me.streakDays).toBe(0);

		// Figures are recomputed lazily: the total frame after 240 minutes.
		await write(writer.caller, 'prompter_reply', lang);
		expect((await author.caller.community.leaderboard({ frame: 'total' }))[0].score).toBe(8);
		h.clock.ms += 241 * 60_000;
		expect((await author.caller.community.leaderboard({ frame: 'total' }))[0].score).toBe(9);

		const stats = await author.caller.community.stats();
		expect(stats.messagesByLangRole).toEqual([
			{ lang: 'en', role: 'assistant', count: 1 },
			{ lang: 'en', role: 'prompter', count: 2 }
		]);
		expect(stats.treesByStateLang).toEqual([{ state: 'growing', lang: 'en', count: 1 }]);
	});
});
