/**
 * Loads a `WorkView`: the active trees of one language (in review, growing, ranking) with
 * their messages, and what this user already did on them. A handful of indexed queries; the
 * rules are applied in work.ts.
 */
import type { Db } from '../env.js';
import { countTreesInState } from './messages.repo.js';
import type { TreeSettings } from './settings.js';
import { WORK_MESSAGE_COLUMNS, type WorkMessage, type WorkView } from './work.js';

const WORK_STATES = ['initial_prompt_review', 'growing', 'ranking'] as const;
/** Up to this many trees, the per-tree queries list their ids as parameters. */
const MAX_LISTED_TREES = 500;

/**
 * Load the work view of `userId` for `lang` at `now`. `counts` passes the trees in initial
 * review and in the lottery when the caller just read them (saving two queries).
 */
export async function loadWorkView(db: Db, userId: string, lang: string, now: Date, settings: TreeSettings, counts?: { inReview: number; inLottery: number }): Promise<WorkView> {
	const trees = await db
		.selectFrom('message_tree_state')
		.selectAll()
		.where('lang', '=', lang)
		.where('state', 'in', WORK_STATES)
		.where('active', '=', 1)
		.orderBy('message_tree_id')
		.execute();
	// The per-tree queries name the trees just read (one cached plan per count) rather than
	// selecting them again in a subquery each; past MAX_LISTED_TREES they use the subquery.
	const treeIds = trees.map((t) => t.message_tree_id);
	const inTrees =
		treeIds.length <= MAX_LISTED_TREES
			? treeIds
			: db.selectFrom('message_tree_state').select('message_tree_id').where('lang', '=', lang).where('state', 'in', WORK_STATES).where('active', '=', 1);
	const none = <T>(): Promise<T[]> => Promise.resolve([]);
	const empty = treeIds.length === 0;
	const [messages, labels, emojis, reactions, rankings, recent, inReview, inLottery, open] = await Promise.all([
		empty ? none<WorkMessage>() : db.selectFrom('message').select(WORK_MESSAGE_COLUMNS).where('message_tree_id', 'in', inTrees).orderBy('created_date').orderBy('id').execute(),
		empty
			? none<{ message_id: string }>()
			: db
					.selectFrom('text_labels as l')
					.innerJoin('message as m', 'm.id', 'l.message_id')
					.select('l.message_id')
					.where('l.user_id', '=', userId)
					.where('l.is_report', '=', 0)
					.where('m.message_tree_id', 'in', inTrees)
					.execute(),
		empty
			? none<{ message_id: string; emoji: string }>()
			: db
					.selectFrom('message_emoji as e')
					.innerJoin('message as m', 'm.id', 'e.message_id')
					.select(['e.message_id', 'e.emoji'])
					.where('e.user_id', '=', userId)
					.where('e.emoji', 'in', ['_skip_reply', '_skip_ranking', '_skip_labeling'])
					.where('m.message_tree_id', 'in', inTrees)
					.execute(),
		empty
			? none<{ message_id: string }>()
			: db.selectFrom('message_reaction').select('message_id').where('user_id', '=', userId).where('kind', '=', 'ranking').where('message_tree_id', 'in', inTrees).execute(),
		empty
			? none<{ message_id: string; n: number }>()
			: db
					.selectFrom('message_reaction')
					.select(['message_id', (eb) => eb.fn.countAll<number>().as('n')])
					.where('kind', '=', 'ranking')
					.where('not_rankable', '=', 0)
					.where('message_tree_id', 'in', inTrees)
					.groupBy('message_id')
					.execute(),
		db
			.selectFrom('task')
			.select('parent_message_id')
			.where('type', 'in', ['prompter_reply', 'assistant_reply'])
			.where('created_date', '>', new Date(now.getTime() - settings.recent_tasks_span_sec * 1000).toISOString())
			.where('done', '=', 0)
			.where('skipped', '=', 0)
			.execute(),
		counts?.inReview ?? countTreesInState(db, 'initial_prompt_review', lang),
		counts?.inLottery ?? countTreesInState(db, 'prompt_lottery_waiting', lang),
		// Items this user already holds an open label or ranking task for (e.g. in an offline stock):
		// handing them out again would give the same item twice.
		db
			.selectFrom('task')
			.select(['type', 'parent_message_id'])
			.where('user_id', '=', userId)
			.where('done', '=', 0)
			.where('skipped', '=', 0)
			.where('expiry_date', '>', now.toISOString())
			.where('type', 'in', ['label_initial_prompt', 'label_prompter_reply', 'label_assistant_reply', 'rank_prompter_replies', 'rank_assistant_replies'])
			.execute()
	]);
	const heldForLabels = open.filter((t) => t.type.startsWith('label_')).map((t) => t.parent_message_id);
	const heldForRanking = open.filter((t) => t.type.startsWith('rank_')).map((t) => t.parent_message_id);
	const skipped = { reply: new Set<string>(), ranking: new Set<string>(), labeling: new Set<string>() };
	for (const e of emojis) skipped[e.emoji.slice('_skip_'.length) as keyof typeof skipped].add(e.message_id);
	return {
		userId,
		trees,
		messages,
		labelled: new Set([...labels.map((l) => l.message_id), ...heldForLabels.filter((id): id is string => id !== null)]),
		skipped,
		ranked: new Set([...reactions.map((r) => r.message_id), ...heldForRanking.filter((id): id is string => id !== null)]),
		rankingCounts: new Map(rankings.map((c) => [c.message_id, Number(c.n)])),
		recentReplyParents: new Set(recent.map((r) => r.parent_message_id).filter((id): id is string => id !== null)),
		inReview,
		inLottery
	};
}
