/** Reading messages and trees, and reports (labels sent from a message page). */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { fail } from '../errors.js';
import { inTransaction, type ServiceEnv, type Db } from '../env.js';
import { visibleCounts } from './emoji.service.js';
import { writeJournal } from './journal.js';
import { emojiCounts, getMessage, getTreeState, treeMessages } from './messages.repo.js';
import { parseLabels } from './submit.service.js';
import { containsPattern } from '../users/users.service.js';
import type { Message, TreeState } from './trees.table.js';

/** A message as clients see it. Skip markers and author ids of others stay hidden. */
export interface MessageView {
	id: string;
	parentId: string | null;
	messageTreeId: string;
	role: 'prompter' | 'assistant';
	text: string;
	lang: string;
	depth: number;
	childrenCount: number;
	deleted: boolean;
	reviewCount: number;
	reviewResult: boolean | null;
	rank: number | null;
	synthetic: boolean;
	edited: boolean;
	modelName: string | null;
	createdDate: string;
	emojis: Record<string, number>;
	isMine: boolean;
}

/** The client view of a message row. */
export function toView(m: Message, viewerId: string | null): MessageView {
	return {
		id: m.id,
		parentId: m.parent_id,
		messageTreeId: m.message_tree_id,
		role: m.role,
		text: m.text,
		lang: m.lang,
		depth: m.depth,
		childrenCount: m.children_count,
		deleted: m.deleted === 1,
		reviewCount: m.review_count,
		reviewResult: m.review_result === null ? null : m.review_result === 1,
		rank: m.rank,
		synthetic: m.synthetic === 1,
		edited: m.edited === 1,
		modelName: m.model_name,
		createdDate: m.created_date,
		emojis: visibleCounts(emojiCounts(m)),
		isMine: viewerId !== null && m.user_id === viewerId
	};
}

/** One message; deleted ones only for moderators. */
export async function readMessage(db: Db, viewer: { id: string; moderator: boolean } | null, id: string): Promise<MessageView & { myEmojis: string[] }> {
	const m = await getMessage(db, id);
	if (!m || (m.deleted && !viewer?.moderator)) fail('message_not_found');
	const mine = viewer
		? (await db.selectFrom('message_emoji').select('emoji').where('message_id', '=', id).where('user_id', '=', viewer.id).execute()).map((r) => r.emoji).filter((c) => !c.startsWith('_'))
		: [];
	return { ...toView(m, viewer?.id ?? null), myEmojis: mine };
}

/** A label's mean over the users who gave it (each user's own values averaged first) and their number. */
export interface LabelSummary {
	value: number;
	count: number;
}

/** A message in a tree view: the view plus the viewer's reactions, the labels and the reports. */
export interface TreeMessageView extends MessageView {
	myEmojis: string[];
	labels: Record<string, LabelSummary>;
	reportCount: number;
}

/**
 * Label summaries per message: live labels (reports left out) averaged per user, then over
 * users, merged count-weighted with the totals an import kept; and the number of reports.
 */
export async function labelSummaries(db: Db, messages: readonly Message[]): Promise<Map<string, { labels: Record<string, LabelSummary>; reportCount: number }>> {
	const out = new Map<string, { labels: Record<string, LabelSummary>; reportCount: number }>();
	const perUser = new Map<string, Map<string, Map<string, number[]>>>();
	for (let i = 0; i < messages.length; i += 500) {
		const ids = messages.slice(i, i + 500).map((m) => m.id);
		const rows = await db.selectFrom('text_labels').select(['message_id', 'user_id', 'labels', 'is_report']).where('message_id', 'in', ids).execute();
		for (const row of rows) {
			const entry = out.get(row.message_id) ?? { labels: {}, reportCount: 0 };
			out.set(row.message_id, entry);
			if (row.is_report) {
				entry.reportCount++;
				continue;
			}
			const byName = perUser.get(row.message_id) ?? new Map<string, Map<string, number[]>>();
			perUser.set(row.message_id, byName);
			let parsed: Record<string, number> = {};
			try {
				parsed = JSON.parse(row.labels) as Record<string, number>;
			} catch {
				// A malformed row counts as no labels.
			}
			for (const [name, value] of Object.entries(parsed)) {
				if (typeof value !== 'number') continue;
				const byUser = byName.get(name) ?? new Map<string, number[]>();
				byName.set(name, byUser);
				byUser.set(row.user_id, [...(byUser.get(row.user_id) ?? []), value]);
			}
		}
	}
	const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
	for (const m of messages) {
		const entry = out.get(m.id) ?? { labels: {}, reportCount: 0 };
		let totals: Record<string, LabelSummary>;
		try {
			totals = m.label_totals ? (JSON.parse(m.label_totals) as Record<string, LabelSummary>) : {};
		} catch {
			totals = {};
		}
		const live = perUser.get(m.id) ?? new Map<string, Map<string, number[]>>();
		const names = new Set([...Object.keys(totals), ...live.keys()]);
		for (const name of names) {
			const t = totals[name] && totals[name].count > 0 ? totals[name] : { value: 0, count: 0 };
			const byUser = live.get(name);
			const l = byUser ? { value: mean([...byUser.values()].map(mean)), count: byUser.size } : { value: 0, count: 0 };
			const count = t.count + l.count;
			if (count > 0) entry.labels[name] = { value: (t.value * t.count + l.value * l.count) / count, count };
		}
		out.set(m.id, entry);
	}
	return out;
}

/**
 * A whole tree with its state; deleted messages only for moderators. Each message carries the
 * viewer's own reactions, its label summary and its number of reports.
 */
export async function readTree(
	db: Db,
	viewer: { id: string; moderator: boolean } | null,
	treeId: string
): Promise<{ messageTreeId: string; state: TreeState; lang: string; messages: TreeMessageView[] }> {
	const tree = await getTreeState(db, treeId);
	if (!tree) fail('tree_not_found');
	const messages = (await treeMessages(db, treeId)).filter((m) => !m.deleted || viewer?.moderator);
	const mine = new Map<string, string[]>();
	if (viewer && messages.length > 0) {
		const rows = await db
			.selectFrom('message_emoji as e')
			.innerJoin('message as m', 'm.id', 'e.message_id')
			.select(['e.message_id', 'e.emoji'])
			.where('m.message_tree_id', '=', treeId)
			.where('e.user_id', '=', viewer.id)
			.execute();
		for (const r of rows) if (!r.emoji.startsWith('_')) mine.set(r.message_id, [...(mine.get(r.message_id) ?? []), r.emoji].sort());
	}
	const summaries = await labelSummaries(db, messages);
	return {
		messageTreeId: treeId,
		state: tree.state,
		lang: tree.lang,
		messages: messages.map((m) => ({
			...toView(m, viewer?.id ?? null),
			myEmojis: mine.get(m.id) ?? [],
			labels: summaries.get(m.id)?.labels ?? {},
			reportCount: summaries.get(m.id)?.reportCount ?? 0
		}))
	};
}

/** A page of the message browser: the view and its tree's state. */
export interface BrowsedMessage extends MessageView {
	treeState: TreeState | null;
}

/** Filters of the message browser. */
export interface MessageQuery {
	lang?: string;
	role?: 'prompter' | 'assistant';
	/** Only the viewer's own messages. */
	mine?: boolean;
	/** Text contains this (any case). */
	q?: string;
	/** From `nextCursor` of the page before. */
	cursor?: string;
	limit: number;
}

/** The cursor after `m`: its date and id, so equal dates page stably. */
export function encodeCursor(m: { created_date: string; id: string }): string {
	return Buffer.from(JSON.stringify([m.created_date, m.id])).toString('base64url');
}

/** The date and id in a cursor, or null when it is not one of ours. */
export function decodeCursor(cursor: string): { createdDate: string; id: string } | null {
	try {
		const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
		if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') return { createdDate: value[0], id: value[1] };
	} catch {
		// fall through
	}
	return null;
}

/**
 * Recent messages, newest first, with filters and a cursor. Deleted messages only for
 * moderators; `mine` needs a signed-in viewer.
 */
export async function listMessages(db: Db, viewer: { id: string; moderator: boolean } | null, query: MessageQuery): Promise<{ items: BrowsedMessage[]; nextCursor: string | null }> {
	if (query.mine && !viewer) fail('not_signed_in');
	let q = db.selectFrom('message as m').leftJoin('message_tree_state as t', 't.message_tree_id', 'm.message_tree_id').selectAll('m').select('t.state as tree_state');
	if (!viewer?.moderator) q = q.where('m.deleted', '=', 0);
	if (query.lang) q = q.where('m.lang', '=', query.lang);
	if (query.role) q = q.where('m.role', '=', query.role);
	if (query.mine && viewer) q = q.where('m.user_id', '=', viewer.id);
	const text = query.q?.trim();
	if (text) q = q.where(sql<boolean>`lower(${sql.ref('m.text')}) like ${containsPattern(text)} escape '\\'`);
	if (query.cursor) {
		const c = decodeCursor(query.cursor);
		if (!c) fail('bad_cursor');
		q = q.where((eb) => eb.or([eb('m.created_date', '<', c.createdDate), eb.and([eb('m.created_date', '=', c.createdDate), eb('m.id', '<', c.id)])]));
	}
	const rows = await q.orderBy('m.created_date', 'desc').orderBy('m.id', 'desc').limit(query.limit + 1).execute();
	const page = rows.slice(0, query.limit);
	return {
		items: page.map(({ tree_state, ...m }) => ({ ...toView(m, viewer?.id ?? null), treeState: tree_state })),
		nextCursor: rows.length > query.limit ? encodeCursor(page[page.length - 1]) : null
	};
}

/** Report a message with report labels (and a reason); it enters the moderators' flagged queue. */
export function reportMessage(env: ServiceEnv, userId: string, input: { messageId: string; labels: Record<string, number>; text: string }): Promise<{ ok: true }> {
	return inTransaction(env, async (tx) => {
		const labels = parseLabels('report', 'full', input.labels);
		const m = await getMessage(tx.db, input.messageId);
		if (!m || m.deleted) fail('message_not_found');
		const now = tx.now().toISOString();
		await tx.db.insertInto('text_labels').values({ id: randomUUID(), message_id: m.id, user_id: userId, task_id: null, text: input.text, labels: JSON.stringify(labels), mode: null, is_report: 1, created_date: now }).execute();
		const flagged = await tx.db.selectFrom('flagged_message').select('message_id').where('message_id', '=', m.id).executeTakeFirst();
		if (flagged) await tx.db.updateTable('flagged_message').set({ processed: 0 }).where('message_id', '=', m.id).execute();
		else await tx.db.insertInto('flagged_message').values({ message_id: m.id, processed: 0, created_date: now }).execute();
		await writeJournal(tx.db, { type: 'report', now: tx.now(), userId, messageId: m.id, payload: { labels, text: input.text } });
		return { ok: true as const };
	});
}
