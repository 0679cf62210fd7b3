/**
 * Gathers the counts behind the leaderboard and the trollboard for one time frame, with
 * grouped queries (one row per user and kind, not per message) where the SQL is portable.
 */
import { sql } from 'kysely';
import type { Db } from '../env.js';
import { emptyLeader, type LeaderStats, type TrollStats } from './scores.js';

/** Leader counts per user for activity at or after `since` (null: all time). */
export async function leaderCounts(db: Db, since: string | null): Promise<Map<string, LeaderStats>> {
	const out = new Map<string, LeaderStats>();
	const get = (id: string) => out.get(id) ?? (out.set(id, emptyLeader()), out.get(id)!);
	const isPrompt = sql<number>`case when ${sql.ref('parent_id')} is null then 1 else 0 end`;
	const top3 = sql<number>`case when ${sql.ref('rank')} is not null and ${sql.ref('rank')} < 3 then ${sql.ref('rank')} else -1 end`;
	let messages = db
		.selectFrom('message')
		.select(['user_id', 'role', 'review_result', isPrompt.as('is_prompt'), top3.as('top3'), (eb) => eb.fn.countAll<number>().as('n')])
		.where('deleted', '=', 0)
		.where('synthetic', '=', 0)
		.where('user_id', 'is not', null)
		.groupBy(['user_id', 'role', 'review_result', isPrompt, top3]);
	if (since) messages = messages.where('created_date', '>=', since);
	for (const r of await messages.execute()) {
		const s = get(r.user_id!);
		const n = Number(r.n);
		const accepted = r.review_result === 1;
		if (Number(r.is_prompt) === 1) {
			s.prompts += n;
			if (accepted) s.acceptedPrompts += n;
			continue;
		}
		if (r.role === 'assistant') {
			s.repliesAssistant += n;
			if (accepted) s.acceptedRepliesAssistant += n;
		} else {
			s.repliesPrompter += n;
			if (accepted) s.acceptedRepliesPrompter += n;
		}
		const rank = Number(r.top3);
		if (rank === 0) s.replyRanked1 += n;
		else if (rank === 1) s.replyRanked2 += n;
		else if (rank === 2) s.replyRanked3 += n;
	}
	let labels = db.selectFrom('text_labels').select(['user_id', 'mode', (eb) => eb.fn.countAll<number>().as('n')]).where('is_report', '=', 0).groupBy(['user_id', 'mode']);
	if (since) labels = labels.where('created_date', '>=', since);
	for (const r of await labels.execute()) {
		if (r.mode === 'full') get(r.user_id).labelsFull += Number(r.n);
		else get(r.user_id).labelsSimple += Number(r.n);
	}
	let rankings = db.selectFrom('message_reaction').select(['user_id', (eb) => eb.fn.countAll<number>().as('n')]).where('kind', '=', 'ranking').groupBy('user_id');
	if (since) rankings = rankings.where('created_date', '>=', since);
	for (const r of await rankings.execute()) get(r.user_id).rankingsTotal += Number(r.n);
	return out;
}

/** Troll counts plus label averages, per author. */
export interface TrollCounts extends TrollStats {
	spam: number;
	averages: Record<'quality' | 'humor' | 'toxicity' | 'violence' | 'helpfulness', number | null>;
}

const SUMMED = { spam: 'spam', lang_mismatch: 'langMismatch', not_appropriate: 'notAppropriate', pii: 'pii', hate_speech: 'hateSpeech', sexual_content: 'sexualContent', political_content: 'politicalContent' } as const;
const AVERAGED = ['quality', 'humor', 'toxicity', 'violence', 'helpfulness'] as const;

/** Troll counts per author for reactions and labels given at or after `since`. */
export async function trollCounts(db: Db, since: string | null): Promise<Map<string, TrollCounts>> {
	const out = new Map<string, TrollCounts>();
	const sums = new Map<string, Record<string, [number, number]>>();
	const get = (id: string) => {
		if (!out.has(id)) {
			out.set(id, { redFlags: 0, upvotes: 0, downvotes: 0, spamPrompts: 0, spam: 0, langMismatch: 0, notAppropriate: 0, pii: 0, hateSpeech: 0, sexualContent: 0, politicalContent: 0, averages: { quality: null, humor: null, toxicity: null, violence: null, helpfulness: null } });
		}
		return out.get(id)!;
	};
	let emojis = db
		.selectFrom('message_emoji as e')
		.innerJoin('message as m', 'm.id', 'e.message_id')
		.select(['m.user_id', 'e.emoji', (eb) => eb.fn.countAll<number>().as('n')])
		.where('e.emoji', 'in', ['red_flag', '+1', '-1'])
		.where('m.user_id', 'is not', null)
		.groupBy(['m.user_id', 'e.emoji']);
	if (since) emojis = emojis.where('e.created_date', '>=', since);
	for (const r of await emojis.execute()) {
		const s = get(r.user_id!);
		if (r.emoji === 'red_flag') s.redFlags += Number(r.n);
		else if (r.emoji === '+1') s.upvotes += Number(r.n);
		else s.downvotes += Number(r.n);
	}
	let aborted = db
		.selectFrom('message_tree_state as t')
		.innerJoin('message as m', 'm.id', 't.message_tree_id')
		.select(['m.user_id', (eb) => eb.fn.countAll<number>().as('n')])
		.where('t.state', '=', 'aborted_low_grade')
		.where('m.user_id', 'is not', null)
		.groupBy('m.user_id');
	if (since) aborted = aborted.where('m.created_date', '>=', since);
	for (const r of await aborted.execute()) get(r.user_id!).spamPrompts += Number(r.n);
	let labels = db.selectFrom('text_labels as l').innerJoin('message as m', 'm.id', 'l.message_id').select(['m.user_id', 'l.labels']).where('m.user_id', 'is not', null);
	if (since) labels = labels.where('l.created_date', '>=', since);
	for (const r of await labels.execute()) {
		const s = get(r.user_id!);
		const values = JSON.parse(r.labels) as Record<string, number>;
		for (const [name, key] of Object.entries(SUMMED)) if (typeof values[name] === 'number') s[key] += values[name];
		const acc = sums.get(r.user_id!) ?? {};
		for (const name of AVERAGED) {
			if (typeof values[name] !== 'number') continue;
			const [total, count] = acc[name] ?? [0, 0];
			acc[name] = [total + values[name], count + 1];
		}
		sums.set(r.user_id!, acc);
	}
	for (const [id, acc] of sums) for (const name of AVERAGED) if (acc[name]) get(id).averages[name] = acc[name][0] / acc[name][1];
	return out;
}
