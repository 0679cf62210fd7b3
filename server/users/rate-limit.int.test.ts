import { expect, it } from 'vitest';
import { describeEachDialect } from '../testing/dialects.js';
import { harness, ruleOf } from '../testing/harness.js';
import { updateTreeSettings } from '../trees/settings.js';
import { DatabaseRateLimiter, LIMITS } from './rate-limit.js';

describeEachDialect('rate limits', (handle) => {
	it('allows 30 task requests per user in 4 minutes', async () => {
		const h = harness(handle.current, { rateLimits: true });
		await updateTreeSettings(h.env.db, { max_pending_tasks_per_user: 1000 });
		const [u, other] = await Promise.all([h.user('busy'), h.user('other')]);
		for (let i = 0; i < 30; i++) await u.caller.tasks.request({ type: 'initial_prompt', lang: 'en' });
		expect(await ruleOf(u.caller.tasks.request({ type: 'initial_prompt', lang: 'en' }))).toBe('rate_limited');
		await other.caller.tasks.request({ type: 'initial_prompt', lang: 'en' }); // per user
		h.clock.ms += 4 * 60_000 + 1;
		await u.caller.tasks.request({ type: 'initial_prompt', lang: 'en' });
	});
});

describeEachDialect('rate limits in the database', (handle) => {
	it('slides the window per limit and subject, and refused hits are not recorded', async () => {
		const { db, dialect } = handle.current;
		const limiter = new DatabaseRateLimiter(dialect, { enabled: true });
		const limit = LIMITS.assistantReply; // 4 per 2 min
		for (let i = 0; i < 4; i++) expect(await limiter.hit(db, limit, 'u', i * 1000)).toBe(true);
		expect(await limiter.peek(db, [limit, LIMITS.prompterReply], 'u', 5000)).toEqual([false, true]);
		expect(await limiter.hit(db, limit, 'u', 5000)).toBe(false);
		expect(await limiter.hit(db, limit, 'v', 5000)).toBe(true);
		expect(await limiter.hit(db, LIMITS.prompterReply, 'u', 5000)).toBe(true);
		expect(await limiter.hit(db, limit, 'u', 120_000)).toBe(true); // the first hit left the window
		expect(await limiter.hit(db, limit, 'u', 120_500)).toBe(false);
		expect(await limiter.peek(db, [limit], 'u', 123_001)).toEqual([true]); // the 3rd hit (at 2 s) and the 4th (at 3 s) left; the refused one never counted
	});

	it('lets exactly `limit` of many concurrent hits through, from separate limiters on one database', async () => {
		const { db, dialect } = handle.current;
		const limiters = [new DatabaseRateLimiter(dialect, { enabled: true }), new DatabaseRateLimiter(dialect, { enabled: true })];
		const results = await Promise.all(Array.from({ length: 24 }, (_, i) => limiters[i % 2].hit(db, LIMITS.prompterReply, 'crowd', 1_000_000 + i)));
		expect(results.filter(Boolean)).toHaveLength(LIMITS.prompterReply.limit);
	});
});
