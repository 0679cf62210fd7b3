/**
 * Best-of-n in the chat: how many replies a prompt gets (the setting, unless sampling is greedy or
 * no reward model is chosen), and which candidate wins once the reward model has scored them.
 * Pure functions, so the page and the unit tests share them.
 */
import type { ReplyReward } from '$lib/chat/db';

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
