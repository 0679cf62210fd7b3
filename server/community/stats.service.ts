/**
 * Community figures: the leaderboard and trollboard per time frame, a user's own figures,
 * contributions with review status, and site statistics. Upstream recomputed the tables on a
 * timer; Oasis recomputes a frame lazily, when it is read and older than its refresh period.
 */
import { sql } from 'kysely';
import type { Db, ServiceEnv } from '../env.js';
import { inTransaction } from '../env.js';
import { levelForScore, leaderScore, resetStreakIfInactive, TIME_FRAME_REFRESH_MINUTES, timeFrameStart, trollScore, type TimeFrame } from './scores.js';
import { leaderCounts, trollCounts } from './stats.repo.js';

const markerKey = (frame: TimeFrame) => `community_refreshed:${frame}`;

/** Recompute `user_stats` and `troll_stats` of one frame now. */
export async function refreshFrame(env: ServiceEnv, frame: TimeFrame): Promise<void> {
	const now = env.now();
	const start = timeFrameStart(frame, now);
	const since = start?.toISOString() ?? null;
	const [leaders, trolls] = await Promise.all([leaderCounts(env.db, since), trollCounts(env.db, since)]);
	const modified = now.toISOString();
	const leaderRows = [...leaders]
		.map(([user_id, s]) => ({ user_id, s, score: leaderScore(s) }))
		.sort((a, b) => b.score - a.score || (a.user_id < b.user_id ? -1 : 1))
		.map(({ user_id, s, score }, i) => ({
			user_id, time_frame: frame, base_date: since, modified_date: modified, leader_score: score, rank: i + 1,
			prompts: s.prompts, replies_assistant: s.repliesAssistant, replies_prompter: s.repliesPrompter, labels_simple: s.labelsSimple, labels_full: s.labelsFull,
			rankings_total: s.rankingsTotal, rankings_good: s.rankingsGood, accepted_prompts: s.acceptedPrompts, accepted_replies_assistant: s.acceptedRepliesAssistant,
			accepted_replies_prompter: s.acceptedRepliesPrompter, reply_ranked_1: s.replyRanked1, reply_ranked_2: s.replyRanked2, reply_ranked_3: s.replyRanked3
		}));
	const trollRows = [...trolls]
		.map(([user_id, s]) => ({ user_id, s, score: trollScore(s) }))
		.sort((a, b) => b.score - a.score || (a.user_id < b.user_id ? -1 : 1))
		.map(({ user_id, s, score }, i) => ({
			user_id, time_frame: frame, base_date: since, modified_date: modified, troll_score: score, rank: i + 1,
			red_flags: s.redFlags, upvotes: s.upvotes, downvotes: s.downvotes, spam_prompts: s.spamPrompts, spam: Math.round(s.spam), lang_mismatch: Math.round(s.langMismatch),
			not_appropriate: Math.round(s.notAppropriate), pii: Math.round(s.pii), hate_speech: Math.round(s.hateSpeech), sexual_content: Math.round(s.sexualContent),
			political_content: Math.round(s.politicalContent), ...s.averages
		}));
	await inTransaction(env, async (tx) => {
		// Two processes may recompute a stale frame at once: on PostgreSQL they take turns (SQLite's
		// write transactions do anyway), so the second replaces the first's rows instead of colliding.
		if (tx.dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${`oasis:leaderboard:${frame}`}))`.execute(tx.db);
		await tx.db.deleteFrom('user_stats').where('time_frame', '=', frame).execute();
		await tx.db.deleteFrom('troll_stats').where('time_frame', '=', frame).execute();
		// Batches keep each statement under the databases' parameter limits.
		for (let i = 0; i < leaderRows.length; i += 200) await tx.db.insertInto('user_stats').values(leaderRows.slice(i, i + 200)).execute();
		for (let i = 0; i < trollRows.length; i += 200) await tx.db.insertInto('troll_stats').values(trollRows.slice(i, i + 200)).execute();
		const marker = { key: markerKey(frame), value: JSON.stringify(modified), updated_at: modified };
		const exists = await tx.db.selectFrom('app_setting').select('key').where('key', '=', marker.key).executeTakeFirst();
		if (exists) await tx.db.updateTable('app_setting').set(marker).where('key', '=', marker.key).execute();
		else await tx.db.insertInto('app_setting').values(marker).execute();
	});
}

/** Recompute a frame if its figures are older than its refresh period (5/15/60/240 min). */
export async function ensureFresh(env: ServiceEnv, frame: TimeFrame): Promise<void> {
	const row = await env.db.selectFrom('app_setting').select('updated_at').where('key', '=', markerKey(frame)).executeTakeFirst();
	const age = row ? env.now().getTime() - Date.parse(row.updated_at) : Infinity;
	if (age >= TIME_FRAME_REFRESH_MINUTES[frame] * 60_000 || age < 0) await refreshFrame(env, frame);
}

/** The leaderboard: enabled users who show on it, by score then id, with their levels. */
export async function leaderboard(env: ServiceEnv, input: { frame: TimeFrame; limit: number }) {
	await ensureFresh(env, input.frame);
	const rows = await env.db
		.selectFrom('user_stats as s')
		.innerJoin('user as u', 'u.id', 's.user_id')
		.select(['u.id', 'u.display_name', 's.leader_score', 's.prompts', 's.replies_assistant', 's.replies_prompter', 's.labels_simple', 's.labels_full', 's.rankings_total', 's.reply_ranked_1', 's.modified_date'])
		.where('s.time_frame', '=', input.frame)
		.where('u.enabled', '=', 1)
		.where('u.deleted', '=', 0)
		.where('u.show_on_leaderboard', '=', 1)
		.orderBy('s.leader_score', 'desc')
		.orderBy('s.user_id')
		.limit(input.limit)
		.execute();
	return rows.map((r, i) => ({
		position: i + 1, userId: r.id, displayName: r.display_name, score: r.leader_score, level: levelForScore(r.leader_score),
		prompts: r.prompts, replies: r.replies_assistant + r.replies_prompter, labels: r.labels_simple + r.labels_full, rankings: r.rankings_total, rankedFirst: r.reply_ranked_1, computed: r.modified_date
	}));
}

/** The trollboard (moderators): highest troll score first. */
export async function trollboard(env: ServiceEnv, input: { frame: TimeFrame; limit: number }) {
	await ensureFresh(env, input.frame);
	const rows = await env.db
		.selectFrom('troll_stats as s')
		.innerJoin('user as u', 'u.id', 's.user_id')
		.select(['u.id', 'u.display_name', 'u.role', 's.troll_score', 's.red_flags', 's.upvotes', 's.downvotes', 's.spam_prompts', 's.spam', 's.quality', 's.toxicity'])
		.where('s.time_frame', '=', input.frame)
		.orderBy('s.troll_score', 'desc')
		.orderBy('s.user_id')
		.limit(input.limit)
		.execute();
	return rows.map((r) => ({ userId: r.id, displayName: r.display_name, role: r.role, trollScore: r.troll_score, redFlags: r.red_flags, upvotes: r.upvotes, downvotes: r.downvotes, spamPrompts: r.spam_prompts, spam: r.spam, quality: r.quality, toxicity: r.toxicity }));
}

/** A user's own figures: score and level per frame, and the current streak. */
export async function myStats(env: ServiceEnv, userId: string) {
	const frames: TimeFrame[] = ['day', 'week', 'month', 'total'];
	for (const f of frames) await ensureFresh(env, f);
	const rows = await env.db.selectFrom('user_stats').select(['time_frame', 'leader_score', 'rank']).where('user_id', '=', userId).execute();
	const user = await env.db.selectFrom('user').select(['last_activity_date', 'streak_last_day_date', 'streak_days']).where('id', '=', userId).executeTakeFirstOrThrow();
	const streak = resetStreakIfInactive(
		{ lastActivity: user.last_activity_date ? new Date(user.last_activity_date) : null, streakStart: user.streak_last_day_date ? new Date(user.streak_last_day_date) : null, streakDays: user.streak_days },
		env.now()
	);
	return {
		frames: Object.fromEntries(frames.map((f) => {
			const r = rows.find((x) => x.time_frame === f);
			return [f, { score: r?.leader_score ?? 0, level: r ? levelForScore(r.leader_score) : 0, rank: r?.rank ?? null }];
		})) as Record<TimeFrame, { score: number; level: number; rank: number | null }>,
		streakDays: streak.streakDays,
		lastActivity: user.last_activity_date
	};
}

/** A user's messages, newest first, with review status and tree state. */
export async function contributions(db: Db, userId: string, input: { limit: number; before?: string }) {
	let q = db
		.selectFrom('message as m')
		.leftJoin('message_tree_state as t', 't.message_tree_id', 'm.message_tree_id')
		.select(['m.id', 'm.message_tree_id', 'm.parent_id', 'm.role', 'm.text', 'm.lang', 'm.created_date', 'm.review_count', 'm.review_result', 'm.rank', 'm.deleted', 't.state'])
		.where('m.user_id', '=', userId)
		.orderBy('m.created_date', 'desc')
		.orderBy('m.id', 'desc')
		.limit(input.limit);
	if (input.before) q = q.where('m.created_date', '<', input.before);
	return (await q.execute()).map((m) => ({
		id: m.id, messageTreeId: m.message_tree_id, parentId: m.parent_id, role: m.role, text: m.text, lang: m.lang, createdDate: m.created_date,
		reviewCount: m.review_count, review: m.deleted ? ('deleted' as const) : m.review_result === null ? ('pending' as const) : m.review_result ? ('accepted' as const) : ('rejected' as const),
		rank: m.rank, treeState: m.state
	}));
}

/** Site statistics: messages by language and role, trees by state and language. */
export async function siteStats(db: Db) {
	const messages = await db.selectFrom('message').select(['lang', 'role', (eb) => eb.fn.countAll<number>().as('n')]).where('deleted', '=', 0).groupBy(['lang', 'role']).orderBy('lang').orderBy('role').execute();
	const trees = await db.selectFrom('message_tree_state').select(['state', 'lang', (eb) => eb.fn.countAll<number>().as('n')]).groupBy(['state', 'lang']).orderBy('state').orderBy('lang').execute();
	return {
		messagesByLangRole: messages.map((r) => ({ lang: r.lang, role: r.role, count: Number(r.n) })),
		treesByStateLang: trees.map((r) => ({ state: r.state, lang: r.lang, count: Number(r.n) }))
	};
}
