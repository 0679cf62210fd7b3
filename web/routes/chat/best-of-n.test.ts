import { describe, expect, it } from 'vitest';
import type { RewardModelRef } from '$lib/chat/db';
import { adapterEntry } from '$lib/engine/adapters';
import { CATALOGUE } from '$lib/engine/catalogue';
import { parseScoreRequest } from '$lib/engine/protocol';
import { REWARD_MAX_TOKENS, rewardWindow } from '../../../kernels/models/reward';
import { clampBestOf, pickBest, plannedCandidates, rewardRef, rewardsFor, scoreRequestFor, supersededBest, withKnownWindow } from './best-of-n';

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

describe('best of n: a second batch under the same prompt', () => {
	const reward = (value: number, best: boolean, of = 3) => ({ value, of, best, model: 'm' });
	const messages = [
		{ id: 'p', parentId: null },
		{ id: 'a1', parentId: 'p', reward: reward(0.1, false) },
		{ id: 'a2', parentId: 'p', reward: reward(0.9, true) },
		{ id: 'a3', parentId: 'p', reward: reward(0.4, false) },
		{ id: 'plain', parentId: 'p' },
		{ id: 'other', parentId: 'q', reward: reward(2, true) },
		{ id: 'b1', parentId: 'p', reward: reward(0.3, true, 2) },
		{ id: 'b2', parentId: 'p', reward: reward(0.2, false, 2) }
	];
	it('takes "picked" from the older batch’s winner only', () => {
		expect(supersededBest(messages, 'p', ['b1', 'b2']).map((m) => m.id)).toEqual(['a2']);
		// Another prompt's winner and the new batch itself keep theirs.
		expect(supersededBest(messages, 'q', ['x'])).toHaveLength(1);
		expect(supersededBest(messages, 'p', ['a1', 'a2', 'a3', 'b1', 'b2'])).toEqual([]);
	});
	it('leaves one picked reply per prompt once the older ones are cleared', () => {
		const cleared = new Set(supersededBest(messages, 'p', ['b1', 'b2']).map((m) => m.id));
		const after = messages.map((m) => (cleared.has(m.id) && m.reward ? { ...m, reward: { ...m.reward, best: false } } : m));
		expect(after.filter((m) => m.parentId === 'p' && m.reward?.best).map((m) => m.id)).toEqual(['b1']);
		// The older batch keeps its scores and its count.
		expect(after.find((m) => m.id === 'a2')!.reward).toEqual(reward(0.9, false));
	});
});

describe('best of n: the reward window', () => {
	const base = CATALOGUE.find((m) => m.id === 'oasis-tiny')!;
	const offer = { jobId: 'job-1', name: 'Reward', baseModel: 'oasis-tiny', version: 2, objective: 'reward' as const, sequenceTokens: 64, files: [] };
	const conversations = [[{ role: 'user' as const, content: 'Hi' }, { role: 'assistant' as const, content: 'Hello!' }]];

	it('keeps the job’s sequence length from the server’s offer to the score request', () => {
		const ref = rewardRef(adapterEntry(base, offer));
		expect(ref).toEqual({ baseModel: 'oasis-tiny', jobId: 'job-1', version: 2, name: 'Reward', sequenceTokens: 64 });
		const request = scoreRequestFor(ref, conversations);
		expect(request.sequenceTokens).toBe(64);
		expect(parseScoreRequest(request)).toEqual({ ok: true, request });
	});

	it('scores in the job’s window, never past the loaded context; chats saved before use the old default', () => {
		expect(rewardWindow(512, 64)).toBe(64);
		expect(rewardWindow(48, 64)).toBe(48);
		const old: RewardModelRef = { baseModel: 'oasis-tiny', jobId: 'job-1', version: 2, name: 'Reward' };
		const request = scoreRequestFor(old, conversations);
		expect(request).not.toHaveProperty('sequenceTokens');
		expect(rewardWindow(4096, request.sequenceTokens)).toBe(REWARD_MAX_TOKENS);
		expect(rewardWindow(512, request.sequenceTokens)).toBe(512);
	});

	it('fills in the window of a chat saved before, from a matching adapter only', () => {
		const old: RewardModelRef = { baseModel: 'oasis-tiny', jobId: 'job-1', version: 2, name: 'Reward' };
		const entry = adapterEntry(base, offer);
		expect(withKnownWindow(old, [entry])).toEqual({ ...old, sequenceTokens: 64 });
		expect(withKnownWindow(old, [adapterEntry(base, { ...offer, version: 3 })])).toBeNull();
		expect(withKnownWindow(old, [adapterEntry(base, { ...offer, sequenceTokens: undefined })])).toBeNull();
		expect(withKnownWindow({ ...old, sequenceTokens: 128 }, [entry])).toBeNull();
		expect(withKnownWindow(undefined, [entry])).toBeNull();
	});

	it('refuses a window the trainer could not have used, in words', () => {
		const r = parseScoreRequest({ ...scoreRequestFor({ baseModel: 'oasis-tiny', jobId: 'job-1', version: 2, name: 'R', sequenceTokens: 4 }, conversations) });
		expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/sequenceTokens is at least 8/) });
	});
});
