/** Reading messages and trees, and reports (labels sent from a message page). */
import { randomUUID } from 'node:crypto';
import { fail } from '../errors.js';
import { inTransaction, type ServiceEnv, type Db } from '../env.js';
import { visibleCounts } from './emoji.service.js';
import { writeJournal } from './journal.js';
import { emojiCounts, getMessage, getTreeState, treeMessages } from './messages.repo.js';
import { parseLabels } from './submit.service.js';
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

/** A whole tree with its state; deleted messages only for moderators. */
export async function readTree(db: Db, viewer: { id: string; moderator: boolean } | null, treeId: string): Promise<{ messageTreeId: string; state: TreeState; lang: string; messages: MessageView[] }> {
	const tree = await getTreeState(db, treeId);
	if (!tree) fail('tree_not_found');
	const messages = (await treeMessages(db, treeId)).filter((m) => !m.deleted || viewer?.moderator);
	return { messageTreeId: treeId, state: tree.state, lang: tree.lang, messages: messages.map((m) => toView(m, viewer?.id ?? null)) };
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
