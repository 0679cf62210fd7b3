import { describe, expect, it } from 'vitest';
import { LIMITS, RateLimiter } from './rate-limit.js';

describe('RateLimiter', () => {
	it('slides its window and counts per subject', () => {
		const limiter = new RateLimiter({ enabled: true });
		const limit = LIMITS.assistantReply; // 4 per 2 min
		for (let i = 0; i < 4; i++) expect(limiter.hitNow(limit, 'u', i * 1000)).toBe(true);
		expect(limiter.peekNow(limit, 'u', 5000)).toBe(false);
		expect(limiter.hitNow(limit, 'u', 5000)).toBe(false);
		expect(limiter.hitNow(limit, 'v', 5000)).toBe(true);
		expect(limiter.hitNow(limit, 'u', 120_000)).toBe(true); // the first hit left the window
		expect(limiter.hitNow(limit, 'u', 120_500)).toBe(false);
	});

	it('allows everything when disabled', () => {
		const limiter = new RateLimiter({ enabled: false });
		for (let i = 0; i < 100; i++) expect(limiter.hitNow(LIMITS.prompterReply, 'u', 0)).toBe(true);
	});

	it('has the spec limits', () => {
		expect([LIMITS.taskRequests.limit, LIMITS.taskRequests.windowMs]).toEqual([30, 240_000]);
		expect([LIMITS.assistantReply.limit, LIMITS.prompterReply.limit]).toEqual([4, 8]);
	});
});
