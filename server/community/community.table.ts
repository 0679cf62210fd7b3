/** Row types of the per-time-frame user and troll statistics. */
import type { Generated } from 'kysely';

export type TimeFrame = 'day' | 'week' | 'month' | 'total';

export interface UserStatsTable {
	user_id: string;
	time_frame: TimeFrame;
	base_date: string | null;
	modified_date: string;
	leader_score: Generated<number>;
	rank: number | null;
	prompts: Generated<number>;
	replies_assistant: Generated<number>;
	replies_prompter: Generated<number>;
	labels_simple: Generated<number>;
	labels_full: Generated<number>;
	rankings_total: Generated<number>;
	rankings_good: Generated<number>;
	accepted_prompts: Generated<number>;
	accepted_replies_assistant: Generated<number>;
	accepted_replies_prompter: Generated<number>;
	reply_ranked_1: Generated<number>;
	reply_ranked_2: Generated<number>;
	reply_ranked_3: Generated<number>;
}

export interface TrollStatsTable {
	user_id: string;
	time_frame: TimeFrame;
	base_date: string | null;
	modified_date: string;
	troll_score: Generated<number>;
	rank: number | null;
	red_flags: Generated<number>;
	upvotes: Generated<number>;
	downvotes: Generated<number>;
	spam_prompts: Generated<number>;
	quality: number | null;
	humor: number | null;
	toxicity: number | null;
	violence: number | null;
	helpfulness: number | null;
	spam: Generated<number>;
	lang_mismatch: Generated<number>;
	not_appropriate: Generated<number>;
	pii: Generated<number>;
	hate_speech: Generated<number>;
	sexual_content: Generated<number>;
	political_content: Generated<number>;
}
