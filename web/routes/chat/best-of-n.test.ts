import { describe, expect, it } from 'vitest';
import { clampBestOf, pickBest, plannedCandidates, rewardsFor } from './best-of-n';

describe('best of n: how many candidates', () => {
	it('clamps the setting to 1–4', () => {
		expect([0, 1, 2.4, 3, 4, 9, -1, NaN, undefined, '3'].map(clampBestOf)).toEqual([1, 1, 2, 3, 4, 4, 1, 1, 1, 1]);
	});
	it('generates n only with a reward model and sampling', () => {
		expect(plannedCandidates(3, 0.75, true)).toEqual({ n: 3, reason: 'ok' });
		expect(plannedCandidates(3, undefined, true)).toEqual({ n: 3, reason: 'ok' });
		expect(plannedCandidates(3, 0.75, false)).toEqual({ n: 1, reason: 'no-reward' });
		expect(plannedCandidates(4, 0, true)).toEqual({ n: 1, reason: 'greedy' });
		expect(plannedCandidates(1, 0, true)).toEqual({ n: 1, reason: 'ok' });
		expect(plannedCandidates(undefined, 1, true)).toEqual({ n: 1, reason: 'ok' });
	});
});

describe('best of n: picking', () => {
	it('picks the highest finite score, the first on a tie', () => {
		expect(pickBest([0.1, 0.84, -2])).toBe(1);
		expect(pickBest([-3, -1, -2])).toBe(1);
		expect(pickBest([0.5, 0.5])).toBe(0);
		expect(pickBest([null, NaN, 0.2, undefined])).toBe(2);
		expect(pickBest([])).toBe(-1);
		expect(pickBest([null, Infinity])).toBe(-1);
	});
	it('marks exactly one best and counts the scored candidates', () => {
		const r = rewardsFor([0.2, null, 0.9], 'm');
		expect(r).toEqual([{ value: 0.2, of: 2, best: false, model: 'm' }, null, { value: 0.9, of: 2, best: true, model: 'm' }]);
		expect(rewardsFor([1, 3, 2], 'm').filter((x) => x?.best)).toHaveLength(1);
		expect(rewardsFor([null], 'm')).toEqual([null]);
	});
});
