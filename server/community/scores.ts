/**
 * Community figures (spec §1, "User stats / leaderboard", "Trollboard", "Streaks"): the leader
 * score, levels, the troll score, streaks and the time frames they are counted over. Pure; the
 * database layer gathers the counts.
 */

/** Counts behind a user's leader score in one time frame (`user_stats`). */
export interface LeaderStats {
	prompts: number;
	repliesAssistant: number;
	repliesPrompter: number;
	labelsSimple: number;
	labelsFull: number;
	rankingsTotal: number;
	/** Never populated upstream; kept so the formula reads as upstream's. */
	rankingsGood: number;
	acceptedPrompts: number;
	acceptedRepliesAssistant: number;
	acceptedRepliesPrompter: number;
	/** Replies of this user that rankers put first / second / third. */
	replyRanked1: number;
	replyRanked2: number;
	replyRanked3: number;
}

/** All-zero leader counts. */
export const emptyLeader = (): LeaderStats => ({
	prompts: 0,
	repliesAssistant: 0,
	repliesPrompter: 0,
	labelsSimple: 0,
	labelsFull: 0,
	rankingsTotal: 0,
	rankingsGood: 0,
	acceptedPrompts: 0,
	acceptedRepliesAssistant: 0,
	acceptedRepliesPrompter: 0,
	replyRanked1: 0,
	replyRanked2: 0,
	replyRanked3: 0
});

/**
 * The leader score: ⌊0.1·prompts⌋ + 4·assistant replies + prompter replies + simple labels +
 * 2·full labels + rankings + good rankings + ⌊0.1·accepted prompts⌋ + 4·accepted assistant
 * replies + accepted prompter replies + 9·ranked 1st + 3·ranked 2nd + ranked 3rd.
 */
export function leaderScore(s: LeaderStats): number {
	return (
		Math.trunc(s.prompts * 0.1) +
		4 * s.repliesAssistant +
		s.repliesPrompter +
		s.labelsSimple +
		2 * s.labelsFull +
		s.rankingsTotal +
		s.rankingsGood +
		Math.trunc(s.acceptedPrompts * 0.1) +
		4 * s.acceptedRepliesAssistant +
		s.acceptedRepliesPrompter +
		9 * s.replyRanked1 +
		3 * s.replyRanked2 +
		s.replyRanked3
	);
}

/** Highest level (reached at a score of 6,000). */
export const MAX_LEVEL = 100;

let thresholds: readonly number[] | undefined;

/**
 * The 100 level thresholds: [0] + round(cumsum(k·1.1521 + 3)) for k = 1..99, i.e.
 * 0, 4, 9, 16, 24, 32, 42, 53, 65, 79, 93, …, 5883, 6000. No partial sum lies near x.5, so
 * Math.round and numpy's half-to-even rounding agree.
 */
export function levelThresholds(): readonly number[] {
	if (thresholds === undefined) {
		const out = [0];
		let sum = 0;
		for (let k = 1; k < MAX_LEVEL; k++) {
			sum += k * 1.1521 + 3;
			out.push(Math.round(sum));
		}
		thresholds = Object.freeze(out);
	}
	return thresholds;
}

/**
 * A user's level: the number of thresholds at or below the score, as upstream's backend
 * computes it — so any user with stats has level ≥ 1, 1,558 points reach level 50 and 6,000
 * reach level 100. (Upstream gives 0 only to a user without stats.)
 */
export function levelForScore(score: number): number {
	return levelThresholds().filter((t) => t <= score).length;
}

/** Counts behind a user's troll score in one time frame (`troll_stats`). */
export interface TrollStats {
	redFlags: number;
	upvotes: number;
	downvotes: number;
	/** Prompts of this user whose tree was aborted as low grade. */
	spamPrompts: number;
	/** Sums of the label values others gave this user's messages. */
	langMismatch: number;
	notAppropriate: number;
	pii: number;
	hateSpeech: number;
	sexualContent: number;
	politicalContent: number;
}

/**
 * The troll score: 3·red flags − upvotes + downvotes + spam prompts + lang_mismatch +
 * not_appropriate + pii + hate_speech + sexual_content + political_content.
 */
export function trollScore(s: TrollStats): number {
	return (
		3 * s.redFlags -
		s.upvotes +
		s.downvotes +
		s.spamPrompts +
		s.langMismatch +
		s.notAppropriate +
		s.pii +
		s.hateSpeech +
		s.sexualContent +
		s.politicalContent
	);
}

/** A user's streak fields. `streakStart` is upstream's (misnamed) `streak_last_day_date`. */
export interface StreakState {
	lastActivity: Date | null;
	streakStart: Date | null;
	streakDays: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Inactivity after which a streak is broken. */
export const STREAK_TIMEOUT_MS = 36 * HOUR;

/**
 * The periodic reset (upstream every 4 h): more than 36 h since the last activity clears the
 * streak. Applying it lazily on read and on activity gives the same figures without a job.
 */
export function resetStreakIfInactive(s: StreakState, now: Date): StreakState {
	const inactive = s.lastActivity !== null && now.getTime() - s.lastActivity.getTime() > STREAK_TIMEOUT_MS;
	return inactive && s.streakStart !== null ? { ...s, streakStart: null, streakDays: 0 } : s;
}

/**
 * A successful interaction at `now`: a broken or missing streak (or one starting in the future)
 * starts again at 0; otherwise the streak is the number of whole days since it started.
 */
export function streakOnActivity(s: StreakState, now: Date): StreakState {
	const current = resetStreakIfInactive(s, now);
	if (current.streakStart === null || current.streakStart.getTime() > now.getTime()) {
		return { lastActivity: now, streakStart: now, streakDays: 0 };
	}
	const days = Math.floor((now.getTime() - current.streakStart.getTime()) / DAY);
	return { lastActivity: now, streakStart: current.streakStart, streakDays: days };
}

/** A leaderboard period. */
export type TimeFrame = 'day' | 'week' | 'month' | 'total';
/** All periods, shortest first. */
export const TIME_FRAMES: readonly TimeFrame[] = ['day', 'week', 'month', 'total'];
/** How often upstream recomputed each period, in minutes. */
export const TIME_FRAME_REFRESH_MINUTES: Readonly<Record<TimeFrame, number>> = { day: 5, week: 15, month: 60, total: 240 };

/**
 * The earliest activity a period counts (inclusive), or null for `total`. As upstream: `day` is
 * the last 24 hours; `week` and `month` start at UTC midnight 7 and 30 days before today.
 */
export function timeFrameStart(frame: TimeFrame, now: Date): Date | null {
	const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
	switch (frame) {
		case 'day':
			return new Date(now.getTime() - DAY);
		case 'week':
			return new Date(midnight - 7 * DAY);
		case 'month':
			return new Date(midnight - 30 * DAY);
		case 'total':
			return null;
	}
}
