/** Row types of messages, trees and their side tables. Booleans are stored as 0/1 integers. */
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

export type MessageRole = 'prompter' | 'assistant';

export interface MessageTable {
	id: string;
	parent_id: string | null;
	message_tree_id: string;
	task_id: string | null;
	user_id: string | null;
	role: MessageRole;
	frontend_message_id: string | null;
	created_date: string;
	text: string;
	lang: Generated<string>;
	depth: Generated<number>;
	children_count: Generated<number>;
	deleted: Generated<number>;
	review_count: Generated<number>;
	/** null = not decided yet; 1 accepted; 0 rejected. */
	review_result: number | null;
	ranking_count: Generated<number>;
	/** 0 = best among its siblings; null = not ranked. */
	rank: number | null;
	synthetic: Generated<number>;
	edited: Generated<number>;
	model_name: string | null;
	/** JSON `{code: count}`, including the hidden `_skip_*` markers. */
	emojis: Generated<string>;
	/** JSON `{name: {value, count}}` kept from an import; null for live messages. */
	label_totals: string | null;
}
export type Message = Selectable<MessageTable>;
export type NewMessage = Insertable<MessageTable>;
export type MessageUpdate = Updateable<MessageTable>;

export interface MessageRevisionTable {
	id: string;
	message_id: string;
	user_id: string | null;
	/** The text before the edit. */
	text: string;
	created_date: string;
}

export interface MessageEmojiTable {
	message_id: string;
	user_id: string;
	emoji: string;
	created_date: string;
}

export interface MessageReactionTable {
	id: string;
	task_id: string | null;
	user_id: string;
	message_id: string;
	message_tree_id: string;
	kind: 'ranking' | 'rating';
	/** JSON: `{ranking, ranked_message_ids, ranking_parent_id}` or `{rating}`. */
	payload: string;
	not_rankable: Generated<number>;
	created_date: string;
}
export type MessageReaction = Selectable<MessageReactionTable>;

export interface TextLabelsTable {
	id: string;
	message_id: string;
	user_id: string;
	task_id: string | null;
	text: Generated<string>;
	/** JSON `{name: value in [0,1]}`. */
	labels: string;
	mode: 'simple' | 'full' | null;
	is_report: Generated<number>;
	created_date: string;
}
export type TextLabels = Selectable<TextLabelsTable>;

export interface FlaggedMessageTable {
	message_id: string;
	processed: Generated<number>;
	created_date: string;
}

export const TREE_STATES = [
	'initial_prompt_review',
	'prompt_lottery_waiting',
	'growing',
	'ranking',
	'ready_for_scoring',
	'ready_for_export',
	'scoring_failed',
	'backlog_ranking',
	'aborted_low_grade',
	'halted_by_moderator'
] as const;
export type TreeState = (typeof TREE_STATES)[number];

export interface MessageTreeStateTable {
	message_tree_id: string;
	goal_tree_size: number;
	max_depth: number;
	max_children_count: number;
	state: TreeState;
	active: number;
	origin: string | null;
	won_prompt_lottery_date: string | null;
	lang: string;
}
export type MessageTreeState = Selectable<MessageTreeStateTable>;

export interface JournalTable {
	id: string;
	created_date: string;
	user_id: string | null;
	message_id: string | null;
	event_type: string;
	payload: string;
}
