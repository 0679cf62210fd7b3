/** Queries on messages and tree states. Every function takes `db | trx` first. */
import type { Dialect } from '../db/database.js';
import { prepared } from '../db/prepared.js';
import type { Db } from '../env.js';
import type { Message, MessageTreeState, NewMessage, TreeState } from './trees.table.js';

const messageById = prepared(1, (db, id: string) => db.selectFrom('message').selectAll().where('id', '=', id));

/** One message by id (deleted ones included). */
export async function getMessage(db: Db, id: string): Promise<Message | undefined> {
	return (await messageById(db, id))[0];
}

/**
 * Read a message and, on PostgreSQL, lock it for the rest of the transaction, so two replies
 * to one parent cannot both pass the children limit. Its tree's state row is locked first:
 * every transaction takes locks in the order task → tree → message, which rules out
 * deadlocks between submissions to one tree. SQLite serialises writers anyway.
 */
export async function lockMessage(db: Db, dialect: Dialect, id: string): Promise<Message | undefined> {
	if (dialect !== 'postgres') return getMessage(db, id);
	// The tree row first (found through the message in the same statement), then the message.
	await lockTreeOfMessage(db, id);
	return (await messageForUpdate(db, id))[0];
}

const lockTreeOfMessage = prepared(1, (db, id: string) =>
	db
		.selectFrom('message_tree_state')
		.select('message_tree_id')
		.where('message_tree_id', '=', (eb) => eb.selectFrom('message').select('message_tree_id').where('id', '=', id))
		.forUpdate()
);
const messageForUpdate = prepared(1, (db, id: string) => db.selectFrom('message').selectAll().where('id', '=', id).forUpdate());
const messagesOfTree = prepared(1, (db, treeId: string) => db.selectFrom('message').selectAll().where('message_tree_id', '=', treeId).orderBy('created_date').orderBy('id'));

/** Every message of a tree (deleted ones included), oldest first. */
export function treeMessages(db: Db, treeId: string): Promise<Message[]> {
	return messagesOfTree(db, treeId);
}

/** The messages from the root down to `messageId`, root first. */
export async function threadTo(db: Db, message: Message): Promise<Message[]> {
	const all = await treeMessages(db, message.message_tree_id);
	const byId = new Map(all.map((m) => [m.id, m]));
	const thread: Message[] = [];
	for (let m: Message | undefined = message; m; m = m.parent_id ? byId.get(m.parent_id) : undefined) thread.unshift(m);
	return thread;
}

/** Insert one message row. */
export async function insertMessage(db: Db, values: NewMessage): Promise<void> {
	await db.insertInto('message').values(values).execute();
}

const treeStateById = prepared(1, (db, treeId: string) => db.selectFrom('message_tree_state').selectAll().where('message_tree_id', '=', treeId));
const treeStateForUpdate = prepared(1, (db, treeId: string) => db.selectFrom('message_tree_state').selectAll().where('message_tree_id', '=', treeId).forUpdate());

/** A tree's state row, without locking. */
export async function getTreeState(db: Db, treeId: string): Promise<MessageTreeState | undefined> {
	return (await treeStateById(db, treeId))[0];
}

/** Read a tree state, locking it on PostgreSQL (state changes of one tree are serialised). */
export async function lockTreeState(db: Db, dialect: Dialect, treeId: string): Promise<MessageTreeState | undefined> {
	return (await (dialect === 'postgres' ? treeStateForUpdate : treeStateById)(db, treeId))[0];
}

/** Number of trees per state in one language. */
export async function countTreesInState(db: Db, state: TreeState, lang: string): Promise<number> {
	const row = await db
		.selectFrom('message_tree_state')
		.select((eb) => eb.fn.countAll<number>().as('n'))
		.where('state', '=', state)
		.where('lang', '=', lang)
		.executeTakeFirstOrThrow();
	return Number(row.n);
}

/** Number of trees in each of `states` in one language, in one query (absent states count 0). */
export async function countTreesByState<S extends TreeState>(db: Db, lang: string, states: readonly S[]): Promise<Record<S, number>> {
	const key = states.join(',');
	let query = countQueries.get(key);
	if (!query) countQueries.set(key, (query = countByStateQuery(states)));
	const rows = await query(db, lang);
	const counts = Object.fromEntries(states.map((state) => [state, 0])) as Record<S, number>;
	for (const row of rows) counts[row.state as S] = Number(row.n);
	return counts;
}

/** Prepared counts per list of states (the callers use a few fixed lists). */
const countQueries = new Map<string, (db: Db, lang: string) => Promise<{ state: string; n: number }[]>>();
const countByStateQuery = (states: readonly TreeState[]) =>
	prepared(1, (db, lang: string) =>
		db
			.selectFrom('message_tree_state')
			.select(['state', (eb) => eb.fn.countAll<number>().as('n')])
			.where('state', 'in', states)
			.where('lang', '=', lang)
			.groupBy('state')
	);

const textsSince = prepared(2, (db, userId: string, since: string) =>
	db.selectFrom('message').select('text').where('user_id', '=', userId).where('created_date', '>', since).orderBy('created_date', 'desc').limit(500)
);

/** The user's texts from `since` on, to refuse a repeat. */
export async function recentTextsOf(db: Db, userId: string, since: Date): Promise<string[]> {
	return (await textsSince(db, userId, since.toISOString())).map((r) => r.text);
}

/** Parse the `emojis` JSON column. */
export function emojiCounts(message: Pick<Message, 'emojis'>): Record<string, number> {
	try {
		return JSON.parse(message.emojis) as Record<string, number>;
	} catch {
		return {};
	}
}
