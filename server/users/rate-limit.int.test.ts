import { expect, it } from 'vitest';
import { describeEachDialect } from '../testing/dialects.js';
import { harness, ruleOf } from '../testing/harness.js';
import { updateTreeSettings } from '../trees/settings.js';

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
