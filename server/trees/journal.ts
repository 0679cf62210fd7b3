/** The journal: an append-only log of what happened (submissions, state changes, moderation). */
import { randomUUID } from 'node:crypto';
import { prepared } from '../db/prepared.js';
import type { Db } from '../env.js';

export type JournalEvent =
	| 'text_reply'
	| 'ranking'
	| 'labels'
	| 'report'
	| 'emoji'
	| 'task_nack'
	| 'tree_state'
	| 'message_edit'
	| 'message_delete'
	| 'message_undelete'
	| 'user_ban'
	| 'user_purge'
	| 'user_role'
	| 'account_delete';

const insertEvent = prepared(6, (db, id: string, created: string, userId: string | null, messageId: string | null, type: string, payload: string) =>
	db.insertInto('journal').values({ id, created_date: created, user_id: userId, message_id: messageId, event_type: type, payload })
);

/** Append one event. */
export async function writeJournal(
	db: Db,
	event: { type: JournalEvent; now: Date; userId?: string | null; messageId?: string | null; payload?: unknown }
): Promise<void> {
	await insertEvent(db, randomUUID(), event.now.toISOString(), event.userId ?? null, event.messageId ?? null, event.type, JSON.stringify(event.payload ?? {}));
}
