import { describe, expect, it } from 'vitest';
import {
	type LeaderStats,
	leaderScore,
	levelForScore,
	levelThresholds,
	resetStreakIfInactive,
	streakOnActivity,
	timeFrameStart,
	trollScore,
	emptyLeader
} from './scores.js';

const zero: LeaderStats = emptyLeader();

/** Upstream's `get_thresholds()` as numpy prints it. */
const UPSTREAM_THRESHOLDS = [
	0, 4, 9, 16, 24, 32, 42, 53, 65, 79, 93, 109, 126, 144, 163, 183, 205, 227, 251, 276, 302, 329, 357, 387, 418, 449, 482,
	516, 552, 588, 626, 664, 704, 745, 787, 831, 875, 921, 968, 1016, 1065, 1115, 1166, 1219, 1273, 1327, 1383, 1441, 1499,
	1558, 1619, 1681, 1744, 1808, 1873, 1939, 2007, 2075, 2145, 2216, 2288, 2362, 2436, 2512, 2588, 2666, 2745, 2825, 2907,
	2989, 3073, 3158, 3244, 3331, 3419, 3508, 3599, 3691, 3784, 3878, 3973, 4069, 4167, 4265, 4365, 4466, 4568, 4671, 4776,
	4881, 4988, 5096, 5205, 5315, 5426, 5539, 5652, 5767, 5883, 6000
];

describe('leaderScore', () => {
	it('weights each contribution as upstream', () => {
		expect(leaderScore(zero)).toBe(0);
		expect(leaderScore({ ...zero, prompts: 19, acceptedPrompts: 9 })).toBe(1);
		expect(
			leaderScore({
				prompts: 10,
				repliesAssistant: 1,
				repliesPrompter: 1,
				labelsSimple: 1,
				labelsFull: 1,
				rankingsTotal: 1,
				rankingsGood: 1,
				acceptedPrompts: 10,
				acceptedRepliesAssistant: 1,
				acceptedRepliesPrompter: 1,
				replyRanked1: 1,
				replyRanked2: 1,
				replyRanked3: 1
			})
		).toBe(1 + 4 + 1 + 1 + 2 + 1 + 1 + 1 + 4 + 1 + 9 + 3 + 1);
	});
});

describe('levels', () => {
	it('has upstream thresholds', () => {
		expect(levelThresholds().slice(0, 11)).toEqual([0, 4, 9, 16, 24, 32, 42, 53, 65, 79, 93]);
		expect(levelThresholds()).toEqual(UPSTREAM_THRESHOLDS);
	});

	it('counts the thresholds at or below the score', () => {
		expect(levelForScore(0)).toBe(1);
		expect(levelForScore(3)).toBe(1);
		expect(levelForScore(4)).toBe(2);
		expect(levelForScore(1557)).toBe(49);
		expect(levelForScore(1558)).toBe(50);
		expect(levelForScore(5883)).toBe(99);
		expect(levelForScore(5999)).toBe(99);
		expect(levelForScore(6000)).toBe(100);
		expect(levelForScore(1e9)).toBe(100);
	});
});

describe('trollScore', () => {
	it('weights red flags 3 and subtracts upvotes', () => {
		expect(
			trollScore({
				redFlags: 2,
				upvotes: 5,
				downvotes: 1,
				spamPrompts: 1,
				langMismatch: 1,
				notAppropriate: 1,
				pii: 1,
				hateSpeech: 1,
				sexualContent: 1,
				politicalContent: 1
			})
		).toBe(6 - 5 + 1 + 1 + 6);
	});
});

describe('streaks', () => {
	const t = (iso: string) => new Date(iso);

	it('starts at 0 and counts whole days since the start', () => {
		const first = streakOnActivity({ lastActivity: null, streakStart: null, streakDays: 0 }, t('2026-01-01T10:00:00Z'));
		expect(first).toEqual({ lastActivity: t('2026-01-01T10:00:00Z'), streakStart: t('2026-01-01T10:00:00Z'), streakDays: 0 });
		const sameDay = streakOnActivity(first, t('2026-01-02T09:59:59Z'));
		expect(sameDay.streakDays).toBe(0);
		const next = streakOnActivity(sameDay, t('2026-01-02T10:00:00Z'));
		expect(next.streakDays).toBe(1);
		const later = streakOnActivity(streakOnActivity(next, t('2026-01-03T20:00:00Z')), t('2026-01-05T08:00:00Z'));
		expect(later.streakDays).toBe(3);
	});

	it('resets after more than 36 hours of inactivity', () => {
		const s = { lastActivity: t('2026-01-03T00:00:00Z'), streakStart: t('2026-01-01T00:00:00Z'), streakDays: 2 };
		expect(resetStreakIfInactive(s, t('2026-01-04T12:00:00Z'))).toBe(s);
		expect(resetStreakIfInactive(s, t('2026-01-04T12:00:01Z'))).toEqual({ ...s, streakStart: null, streakDays: 0 });
		expect(streakOnActivity(s, t('2026-01-05T00:00:00Z'))).toEqual({
			lastActivity: t('2026-01-05T00:00:00Z'),
			streakStart: t('2026-01-05T00:00:00Z'),
			streakDays: 0
		});
	});

	it('restarts a streak whose start lies in the future', () => {
		const s = { lastActivity: null, streakStart: t('2026-02-01T00:00:00Z'), streakDays: 4 };
		expect(streakOnActivity(s, t('2026-01-01T00:00:00Z')).streakDays).toBe(0);
	});
});

describe('timeFrameStart', () => {
	const now = new Date('2026-03-10T15:30:00Z');
	it('gives the start of each period', () => {
		expect(timeFrameStart('day', now)).toEqual(new Date('2026-03-09T15:30:00Z'));
		expect(timeFrameStart('week', now)).toEqual(new Date('2026-03-03T00:00:00Z'));
		expect(timeFrameStart('month', now)).toEqual(new Date('2026-02-08T00:00:00Z'));
		expect(timeFrameStart('total', now)).toBeNull();
	});
});
