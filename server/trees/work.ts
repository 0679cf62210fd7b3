/**
 * What work a user can be given, computed from a snapshot of the active trees of one language
 * (see work-view.ts), and the choice of one task (upstream `TreeManager.next_task`). Pure, so
 * the selection rules are tested without a database and seeded randomness replays exactly.
 */
import { weightedIndex } from './lottery.js';
import type { TreeSettings } from './settings.js';
import { analyseTree, type RankableParent } from './tree-analysis.js';
import type { Message, MessageTreeState } from './trees.table.js';

/** Task types that are generated (upstream's summarize/rate/rank-prompts types never were). */
export const TASK_TYPES = [
	'initial_prompt',
	'prompter_reply',
	'assistant_reply',
	'rank_prompter_replies',
	'rank_assistant_replies',
	'label_initial_prompt',
	'label_prompter_reply',
	'label_assistant_reply'
] as const;
export type TaskType = (typeof TASK_TYPES)[number];
export type TaskRequestType = TaskType | 'random';

/** The categories `random` draws from, with upstream's weights. */
export const CATEGORY_WEIGHTS = { ranking: 10, label_reply: 5, label_prompt: 5, reply: 2, prompt: 0.01 } as const;
export type Category = keyof typeof CATEGORY_WEIGHTS;
/** The task types of each category. */
export const CATEGORY_TYPES: Readonly<Record<Category, readonly TaskType[]>> = {
	ranking: ['rank_assistant_replies', 'rank_prompter_replies'],
	label_reply: ['label_assistant_reply', 'label_prompter_reply'],
	label_prompt: ['label_initial_prompt'],
	reply: ['assistant_reply', 'prompter_reply'],
	prompt: ['initial_prompt']
};

/**
 * The columns of a message that task selection and task payloads read (work-view.ts loads
 * only these for every active tree, which is most of a task request's reading).
 */
export const WORK_MESSAGE_COLUMNS = ['id', 'parent_id', 'message_tree_id', 'user_id', 'role', 'text', 'lang', 'depth', 'deleted', 'review_count', 'review_result', 'synthetic'] as const;
export type WorkMessage = Pick<Message, (typeof WORK_MESSAGE_COLUMNS)[number]>;

/** A snapshot of the language's active trees and of this user's past actions on them. */
export interface WorkView {
	userId: string;
	trees: MessageTreeState[];
	/** Messages of each of those trees, oldest first (created date, then id). */
	messagesByTree: ReadonlyMap<string, readonly WorkMessage[]>;
	/** Message ids this user labelled (task labels). */
	labelled: ReadonlySet<string>;
	/** Message ids this user put a skip marker on, per marker. */
	skipped: { reply: ReadonlySet<string>; ranking: ReadonlySet<string>; labeling: ReadonlySet<string> };
	/** Parent ids this user ranked (any ballot, not-rankable ones too). */
	ranked: ReadonlySet<string>;
	/** Counted (rankable) rankings per parent id. */
	rankingCounts: ReadonlyMap<string, number>;
	/** Parents with an open reply task handed out within `recent_tasks_span_sec`. */
	recentReplyParents: ReadonlySet<string>;
	/** Trees of the language in initial review and in the lottery (for initial prompts). */
	inReview: number;
	inLottery: number;
}

/** Every available item per task type. */
export interface Work {
	initialPrompts: number;
	labelItems: Record<'label_initial_prompt' | 'label_prompter_reply' | 'label_assistant_reply', WorkMessage[]>;
	replyParents: Record<'prompter_reply' | 'assistant_reply', WorkMessage[]>;
	/** Prompter parents with 0 < live children < lonely_children_count (also in assistant_reply). */
	lonely: WorkMessage[];
	rankItems: Record<'rank_prompter_replies' | 'rank_assistant_replies', RankableParent<WorkMessage>[]>;
}

/** Everything the view's user could be given now, per task type (the spec's tree rules). */
export function findWork(view: WorkView, s: TreeSettings): Work {
	const user = view.userId;
	const work: Work = {
		initialPrompts: Math.max(0, Math.min(s.max_initial_prompt_review - view.inReview, s.max_prompt_lottery_waiting - view.inLottery)),
		labelItems: { label_initial_prompt: [], label_prompter_reply: [], label_assistant_reply: [] },
		replyParents: { prompter_reply: [], assistant_reply: [] },
		lonely: [],
		rankItems: { rank_prompter_replies: [], rank_assistant_replies: [] }
	};
	// Not one's own message, not labelled or skipped by this user before.
	const labelable = (m: WorkMessage) => m.user_id !== user && !view.labelled.has(m.id) && !view.skipped.labeling.has(m.id);

	for (const tree of view.trees) {
		const messages = view.messagesByTree.get(tree.message_tree_id) ?? [];
		if (tree.state === 'initial_prompt_review') {
			const root = messages.find((m) => m.parent_id === null);
			if (root && !root.deleted && root.review_count < s.num_reviews_initial_prompt && labelable(root)) work.labelItems.label_initial_prompt.push(root);
			continue;
		}
		const a = analyseTree(messages, tree, s);
		if (tree.state === 'growing') {
			for (const m of messages) {
				if (m.parent_id === null || m.deleted || m.review_result !== null || m.review_count >= s.num_reviews_reply || !labelable(m)) continue;
				work.labelItems[m.role === 'assistant' ? 'label_assistant_reply' : 'label_prompter_reply'].push(m);
			}
			if (a.live.length >= tree.goal_tree_size) continue;
			const repliedTo = new Set(messages.filter((m) => m.user_id === user && m.parent_id).map((m) => m.parent_id));
			for (const p of a.extendable) {
				if (view.recentReplyParents.has(p.id) || repliedTo.has(p.id) || view.skipped.reply.has(p.id)) continue;
				work.replyParents[p.role === 'assistant' ? 'prompter_reply' : 'assistant_reply'].push(p);
				const children = a.liveChildren.get(p.id) ?? 0;
				if (p.role === 'prompter' && children > 0 && children < s.lonely_children_count) work.lonely.push(p);
			}
		} else if (tree.state === 'ranking') {
			for (const rp of a.rankableParents) {
				if ((view.rankingCounts.get(rp.parent.id) ?? 0) >= s.num_required_rankings) continue;
				if (view.ranked.has(rp.parent.id) || view.skipped.ranking.has(rp.parent.id)) continue;
				if (rp.replies.some((r) => r.user_id === user)) continue; // no self-ranking
				work.rankItems[rp.parent.role === 'prompter' ? 'rank_assistant_replies' : 'rank_prompter_replies'].push(rp);
			}
		}
	}
	return work;
}

/** Available items per task type. */
export function countWork(work: Work): Record<TaskType, number> {
	return {
		initial_prompt: work.initialPrompts,
		prompter_reply: work.replyParents.prompter_reply.length,
		assistant_reply: work.replyParents.assistant_reply.length,
		rank_prompter_replies: work.rankItems.rank_prompter_replies.length,
		rank_assistant_replies: work.rankItems.rank_assistant_replies.length,
		label_initial_prompt: work.labelItems.label_initial_prompt.length,
		label_prompter_reply: work.labelItems.label_prompter_reply.length,
		label_assistant_reply: work.labelItems.label_assistant_reply.length
	};
}

/** The chosen task: its type and the item it is about. */
export type Choice =
	| { type: 'initial_prompt' }
	| { type: 'prompter_reply' | 'assistant_reply'; parent: WorkMessage }
	| { type: 'rank_prompter_replies' | 'rank_assistant_replies'; item: RankableParent<WorkMessage> }
	| { type: 'label_initial_prompt' | 'label_prompter_reply' | 'label_assistant_reply'; message: WorkMessage };

const pick = <X>(items: readonly X[], random: () => number): X => items[Math.floor(random() * items.length)];

/**
 * Choose a task. `random` draws a category with work by weight; an explicit type takes that
 * type. Reply parents prefer lonely children with p_lonely_child_extension. `excluded` types
 * (rate-limited ones) are left out of `random`. Returns null when nothing is available.
 */
export function chooseTask(work: Work, requested: TaskRequestType, s: TreeSettings, random: () => number, excluded: ReadonlySet<TaskType> = new Set()): Choice | null {
	const counts = countWork(work);
	let types: TaskType[];
	if (requested === 'random') {
		const categories = (Object.keys(CATEGORY_WEIGHTS) as Category[]).filter((c) => CATEGORY_TYPES[c].some((t) => counts[t] > 0 && !excluded.has(t)));
		if (categories.length === 0) return null;
		const category = categories[weightedIndex(categories.map((c) => CATEGORY_WEIGHTS[c]), random)];
		types = CATEGORY_TYPES[category].filter((t) => counts[t] > 0 && !excluded.has(t));
	} else {
		if (counts[requested] === 0) return null;
		types = [requested];
	}
	if (types.includes('initial_prompt')) return { type: 'initial_prompt' };
	if (types.some((t) => t === 'assistant_reply' || t === 'prompter_reply')) {
		const lonely = types.includes('assistant_reply') ? work.lonely : [];
		if (lonely.length > 0 && random() < s.p_lonely_child_extension) return { type: 'assistant_reply', parent: pick(lonely, random) };
		const parents = types.flatMap((t) => work.replyParents[t as 'assistant_reply' | 'prompter_reply']);
		const parent = pick(parents, random);
		return { type: parent.role === 'assistant' ? 'prompter_reply' : 'assistant_reply', parent };
	}
	if (types.some((t) => t.startsWith('rank_'))) {
		const items = types.flatMap((t) => work.rankItems[t as 'rank_prompter_replies' | 'rank_assistant_replies']);
		const item = pick(items, random);
		return { type: item.parent.role === 'prompter' ? 'rank_assistant_replies' : 'rank_prompter_replies', item };
	}
	const messages = types.flatMap((t) => work.labelItems[t as keyof Work['labelItems']]);
	const message = pick(messages, random);
	const type = message.parent_id === null ? 'label_initial_prompt' : message.role === 'assistant' ? 'label_assistant_reply' : 'label_prompter_reply';
	return { type, message };
}
