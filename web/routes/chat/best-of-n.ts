/**
 * Best-of-n in the chat: how many replies a prompt gets (the setting, unless sampling is greedy or
 * no reward model is chosen), which candidate wins once the reward model has scored them, and
 * what the chat keeps of the reward model (its window included). Pure functions, so the page and
 * the unit tests share them.
 */
import type { ChatMessage, ReplyReward, RewardModelRef } from '$lib/chat/db';
import type { AdapterEntry } from '$lib/engine/adapters';
import type { ChatCompletionMessage, ScoreRequest } from '$lib/engine/types';

/** The setting's range. */
export const BEST_OF_MIN = 1;
export const BEST_OF_MAX = 4;

/** The setting as stored, clamped to 1–4 (anything else reads as 1). */
export function clampBestOf(n: unknown): number {
	const v = typeof n === 'number' && Number.isFinite(n) ? Math.round(n) : BEST_OF_MIN;
	return Math.min(BEST_OF_MAX, Math.max(BEST_OF_MIN, v));
}

/**
 * How many candidates to generate, and why fewer than asked: 'greedy' — temperature 0 gives the
 * same reply every time, so scoring n of them picks nothing; 'no-reward' — nothing to score with.
 */
export function plannedCandidates(bestOfN: unknown, temperature: number | undefined, hasRewardModel: boolean): { n: number; reason: 'ok' | 'greedy' | 'no-reward' } {
	const n = clampBestOf(bestOfN);
	if (n === 1) return { n: 1, reason: 'ok' };
	if (!hasRewardModel) return { n: 1, reason: 'no-reward' };
	if (temperature === 0) return { n: 1, reason: 'greedy' };
	return { n, reason: 'ok' };
}

/** The index of the highest finite score (the first on a tie), or -1 when none is finite. */
export function pickBest(scores: readonly (number | null | undefined)[]): number {
	let best = -1;
	scores.forEach((s, i) => {
		if (typeof s === 'number' && Number.isFinite(s) && (best < 0 || s > scores[best]!)) best = i;
	});
	return best;
}

/**
 * Each scored candidate's {@link ReplyReward} (null for one without a score: failed, or stopped
 * before it had text); `of` counts the scored candidates, `best` marks the winner.
 */
export function rewardsFor(scores: readonly (number | null | undefined)[], model: string): (ReplyReward | null)[] {
	const best = pickBest(scores);
	const of = scores.filter((s) => typeof s === 'number' && Number.isFinite(s)).length;
	return scores.map((s, i) => (typeof s === 'number' && Number.isFinite(s) ? { value: s, of, best: i === best, model } : null));
}

/**
 * Older candidates of `parentId` still marked best once a new batch (`batchIds`) has been scored:
 * regenerating with best-of-n adds a second batch of siblings, and its winner is the reply shown,
 * so only it may say "picked" — the older ones keep their score and their batch's count.
 */
export function supersededBest<M extends Pick<ChatMessage, 'id' | 'parentId' | 'reward'>>(messages: readonly M[], parentId: string, batchIds: readonly string[]): M[] {
	const batch = new Set(batchIds);
	return messages.filter((m) => m.parentId === parentId && !batch.has(m.id) && m.reward?.best);
}

/** What a chat stores of a reward job's adapter: its id parts, its name and the window it was trained with. */
export function rewardRef(e: Pick<AdapterEntry, 'adapter'>): RewardModelRef {
	const a = e.adapter;
	return { baseModel: a.baseModel, jobId: a.jobId, version: a.version, name: a.jobName, ...(a.sequenceTokens ? { sequenceTokens: a.sequenceTokens } : {}) };
}

/**
 * A chat's reward model with its window filled in from a known adapter (`entries`: the picker's,
 * from the server or the model store), for chats saved before the window was kept; null when
 * nothing changes (the window is known already, or no entry knows it).
 */
export function withKnownWindow(ref: RewardModelRef | undefined, entries: readonly Pick<AdapterEntry, 'adapter'>[]): RewardModelRef | null {
	if (!ref || ref.sequenceTokens) return null;
	const known = entries.find((e) => e.adapter.baseModel === ref.baseModel && e.adapter.jobId === ref.jobId && e.adapter.version === ref.version && e.adapter.sequenceTokens);
	return known ? { ...ref, sequenceTokens: known.adapter.sequenceTokens } : null;
}

/** The engine's score request for `conversations` with the chat's reward model, in the window the job trained with when known. */
export function scoreRequestFor(reward: RewardModelRef, conversations: ChatCompletionMessage[][]): ScoreRequest {
	return { baseModel: reward.baseModel, jobId: reward.jobId, version: reward.version, ...(reward.sequenceTokens ? { sequenceTokens: reward.sequenceTokens } : {}), conversations };
}
