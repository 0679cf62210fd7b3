/**
 * Loads a `WorkView`: the active trees of one language (in review, growing, ranking) with
 * their messages, and what this user already did on them. A handful of indexed queries, each
 * prepared once (server/db/prepared.ts); the rules are applied in work.ts.
 *
 * On SQLite the messages of the active trees are cached in the process, per tree, by the
 * tree's change stamp (`work_stamp`, bumped by triggers on every message write that the view
 * reads: migration 2026_11_28_0002): a task request reads the trees with their stamps and
 * reloads only the trees whose stamp moved, instead of every message of every active tree
 * (most of a request's reading). Reads inside a transaction, and PostgreSQL (no triggers
 * there), always read afresh.
 */
import { SqliteAdapter, sql } from 'kysely';
import { prepared, unindexed } from '../db/prepared.js';
import type { Db } from '../env.js';
import { countTreesInState } from './messages.repo.js';
import type { TreeSettings } from './settings.js';
import type { MessageTreeState } from './trees.table.js';
import { WORK_MESSAGE_COLUMNS, type WorkMessage, type WorkView } from './work.js';

const WORK_STATES = ['initial_prompt_review', 'growing', 'ranking'] as const;

const HOLDING_TYPES: readonly string[] = ['label_initial_prompt', 'label_prompter_reply', 'label_assistant_reply', 'rank_prompter_replies', 'rank_assistant_replies'];

/** An open task of the user: its type and item (see `loadWorkView`'s `held`). */
export interface HeldTask {
	type: string;
	parent_message_id: string | null;
	expiry_date: string;
}

/** The active trees of `lang`, each with its change stamp (null where it has none: PostgreSQL). */
const activeTrees = prepared(1, (db, lang: string) =>
	db
		.selectFrom('message_tree_state as t')
		.leftJoin('work_stamp as w', 'w.message_tree_id', 't.message_tree_id')
		.selectAll('t')
		.select('w.version as work_version')
		.where('t.lang', '=', lang)
		.where('t.state', 'in', WORK_STATES)
		.where('t.active', '=', 1)
		.orderBy('t.message_tree_id')
);

/**
 * The per-tree queries select the trees again in a subquery (rather than listing the ids just
 * read), so each has one fixed shape and is prepared once: building and compiling a query
 * costs more than SQLite's indexed subquery.
 */
const inActiveTrees = (db: Db, lang: string) => db.selectFrom('message_tree_state').select('message_tree_id').where('lang', '=', lang).where('state', 'in', WORK_STATES).where('active', '=', 1);

const allTreeMessages = prepared(1, (db, lang: string) =>
	db.selectFrom('message').select(WORK_MESSAGE_COLUMNS).where('message_tree_id', 'in', inActiveTrees(db, lang)).orderBy('created_date').orderBy('id')
);

const oneTreeMessages = prepared(1, (db, treeId: string) => db.selectFrom('message').select(WORK_MESSAGE_COLUMNS).where('message_tree_id', '=', treeId).orderBy('created_date').orderBy('id'));

/** A cached tree: its messages as read at stamp `version`. */
interface CachedTree {
	version: number;
	messages: readonly WorkMessage[];
}

/**
 * Per database handle: each language's active trees' messages (see the module comment), and how
 * many trees were taken from the cache (`reused`) and read from the database (`read`).
 */
interface Cache {
	byLang: Map<string, Map<string, CachedTree>>;
	reused: number;
	read: number;
}
const caches = new WeakMap<Db, Cache>();

/** Trees served from the cache (`reused`) and read from the database (`read`) through `db` so far. */
export function workViewCacheStats(db: Db): { reused: number; read: number } {
	const cache = caches.get(db);
	return { reused: cache?.reused ?? 0, read: cache?.read ?? 0 };
}

/** Above this many changed trees, one query for all of them beats one per tree. */
const MAX_TREE_QUERIES = 8;

/** Group messages (in created order) by tree; each tree's list keeps that order. */
function groupByTree(messages: readonly WorkMessage[]): Map<string, WorkMessage[]> {
	const byTree = new Map<string, WorkMessage[]>();
	for (const m of messages) {
		const list = byTree.get(m.message_tree_id);
		if (list) list.push(m);
		else byTree.set(m.message_tree_id, [m]);
	}
	return byTree;
}

/**
 * The messages of `trees` (the active trees of `lang`, with their stamps), per tree in created
 * order. With a cache (SQLite, outside a transaction), trees whose stamp is unchanged are
 * reused, the others read again; the cache then holds exactly these trees. A cached copy is
 * stored under the stamp read with the trees, before its messages were read: a write landing in
 * between leaves a copy newer than its stamp, which the next request (seeing the newer stamp)
 * simply reads again.
 */
async function messagesOfTrees(db: Db, lang: string, trees: readonly { message_tree_id: string; work_version: number | null }[]): Promise<Map<string, readonly WorkMessage[]>> {
	// Without a cache (PostgreSQL, transactions) every tree is read, in one query.
	if (db.isTransaction || !(db.getExecutor().adapter instanceof SqliteAdapter)) return groupByTree(await allTreeMessages(db, lang));
	let cache = caches.get(db);
	if (!cache) caches.set(db, (cache = { byLang: new Map(), reused: 0, read: 0 }));
	const cached = cache.byLang.get(lang);
	const stale = trees.filter((t) => t.work_version === null || cached?.get(t.message_tree_id)?.version !== Number(t.work_version));
	let read = new Map<string, readonly WorkMessage[]>();
	if (stale.length > MAX_TREE_QUERIES) read = groupByTree(await allTreeMessages(db, lang));
	else if (stale.length > 0) {
		const lists = await Promise.all(stale.map((t) => oneTreeMessages(db, t.message_tree_id)));
		stale.forEach((t, i) => read.set(t.message_tree_id, lists[i]));
	}
	const byTree = new Map<string, readonly WorkMessage[]>();
	const next = new Map<string, CachedTree>();
	for (const t of trees) {
		const messages = read.get(t.message_tree_id) ?? cached?.get(t.message_tree_id)?.messages ?? [];
		byTree.set(t.message_tree_id, messages);
		if (t.work_version !== null) next.set(t.message_tree_id, { version: Number(t.work_version), messages });
	}
	cache.byLang.set(lang, next);
	cache.reused += trees.length - stale.length;
	cache.read += stale.length;
	return byTree;
}

/**
 * What the user did on those trees, and the trees' counted rankings, in one statement (one round
 * trip on PostgreSQL instead of four): rows of `what` =
 * - 'labelled': a message this user labelled (reports aside);
 * - 'skip': a skip marker (`emoji`) this user put on a message;
 * - 'ranked': a parent this user ranked (any ballot);
 * - 'count': a parent's counted (rankable) rankings, `n`.
 */
const marksAndCounts = prepared(2, (db, userId: string, lang: string) =>
	db
		.selectFrom('text_labels as l')
		.innerJoin('message as m', 'm.id', 'l.message_id')
		.select([sql<string>`'labelled'`.as('what'), 'l.message_id', sql<string | null>`null`.as('emoji'), sql<number>`0`.as('n')])
		.where('l.user_id', '=', userId)
		.where('l.is_report', '=', 0)
		.where('m.message_tree_id', 'in', inActiveTrees(db, lang))
		.unionAll(
			db
				.selectFrom('message_emoji as e')
				.innerJoin('message as m', 'm.id', 'e.message_id')
				.select([sql<string>`'skip'`.as('what'), 'e.message_id', 'e.emoji', sql<number>`0`.as('n')])
				.where('e.user_id', '=', userId)
				.where('e.emoji', 'in', ['_skip_reply', '_skip_ranking', '_skip_labeling'])
				.where('m.message_tree_id', 'in', inActiveTrees(db, lang))
		)
		.unionAll(
			db
				.selectFrom('message_reaction')
				.select([sql<string>`'ranked'`.as('what'), 'message_id', sql<string | null>`null`.as('emoji'), sql<number>`0`.as('n')])
				.where('user_id', '=', userId)
				.where('kind', '=', 'ranking')
				.where('message_tree_id', 'in', inActiveTrees(db, lang))
		)
		.unionAll(
			db
				.selectFrom('message_reaction')
				.select([sql<string>`'count'`.as('what'), 'message_id', sql<string | null>`null`.as('emoji'), (eb) => eb.fn.countAll<number>().as('n')])
				.where('kind', '=', 'ranking')
				.where('not_rankable', '=', 0)
				.where('message_tree_id', 'in', inActiveTrees(db, lang))
				.groupBy('message_id')
		)
);

/** Parents of reply tasks handed out since `since` and still open (anyone's). */
const recentReplyTasks = prepared(1, (db, since: string) =>
	db.selectFrom('task').select('parent_message_id').where('type', 'in', ['prompter_reply', 'assistant_reply']).where('created_date', '>', since).where('done', '=', 0).where('skipped', '=', 0)
);

/** The user's open, unexpired label and ranking tasks. */
const heldTasks = prepared(2, (db, userId: string, nowIso: string) =>
	db.selectFrom('task').select(['type', 'parent_message_id', 'expiry_date']).where('user_id', '=', userId).where(unindexed('done'), '=', 0).where(unindexed('skipped'), '=', 0).where('expiry_date', '>', nowIso).where('type', 'in', HOLDING_TYPES)
);

/**
 * Load the work view of `userId` for `lang` at `now`. `counts` passes the trees in initial
 * review and in the lottery when the caller just read them (saving two queries); `held`, the
 * user's open tasks when the caller just read them (any superset of the open, unexpired ones).
 */
export async function loadWorkView(
	db: Db,
	userId: string,
	lang: string,
	now: Date,
	settings: TreeSettings,
	counts?: { inReview: number; inLottery: number },
	held?: readonly HeldTask[]
): Promise<WorkView> {
	const nowIso = now.toISOString();
	const rows = await activeTrees(db, lang);
	const none = <T>(): Promise<T[]> => Promise.resolve([]);
	const empty = rows.length === 0;
	const [messagesByTree, marks, recent, inReview, inLottery, open] = await Promise.all([
		empty ? new Map<string, readonly WorkMessage[]>() : messagesOfTrees(db, lang, rows),
		empty ? none<{ what: string; message_id: string; emoji: string | null; n: number }>() : marksAndCounts(db, userId, lang),
		recentReplyTasks(db, new Date(now.getTime() - settings.recent_tasks_span_sec * 1000).toISOString()),
		counts?.inReview ?? countTreesInState(db, 'initial_prompt_review', lang),
		counts?.inLottery ?? countTreesInState(db, 'prompt_lottery_waiting', lang),
		// Items this user already holds an open label or ranking task for (e.g. in an offline stock):
		// handing them out again would give the same item twice.
		held ?? heldTasks(db, userId, nowIso)
	]);
	const holding = open.filter((t) => t.expiry_date > nowIso && HOLDING_TYPES.includes(t.type));
	const heldForLabels = holding.filter((t) => t.type.startsWith('label_')).map((t) => t.parent_message_id);
	const heldForRanking = holding.filter((t) => t.type.startsWith('rank_')).map((t) => t.parent_message_id);
	const skipped = { reply: new Set<string>(), ranking: new Set<string>(), labeling: new Set<string>() };
	const labelled = new Set<string>();
	const ranked = new Set<string>();
	const rankingCounts = new Map<string, number>();
	for (const row of marks) {
		if (row.what === 'labelled') labelled.add(row.message_id);
		else if (row.what === 'skip' && row.emoji) skipped[row.emoji.slice('_skip_'.length) as keyof typeof skipped].add(row.message_id);
		else if (row.what === 'ranked') ranked.add(row.message_id);
		else if (row.what === 'count') rankingCounts.set(row.message_id, Number(row.n));
	}
	for (const id of heldForLabels) if (id !== null) labelled.add(id);
	for (const id of heldForRanking) if (id !== null) ranked.add(id);
	const trees: MessageTreeState[] = rows.map(({ work_version: _, ...tree }) => tree);
	return {
		userId,
		trees,
		messagesByTree,
		labelled,
		skipped,
		ranked,
		rankingCounts,
		recentReplyParents: new Set(recent.map((r) => r.parent_message_id).filter((id): id is string => id !== null)),
		inReview,
		inLottery
	};
}
