/** The journal: an append-only log of what happened (submissions, state changes, moderation). */
import { randomUUID } from 'node:crypto';
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

/** Append one event. */
export async function writeJournal(
	db: Db,
	event: { type: JournalEvent; now: Date; userId?: string | null; messageId?: string | null; payload?: unknown }
): Promise<void> {
	await db
		.insertInto('journal')
		.values({
			id: randomUUID(),
			created_date: event.now.toISOString(),
			user_id: event.userId ?? null,
			message_id: event.messageId ?? null,
			event_type: event.type,
			payload: JSON.stringify(event.payload ?? {})
		})
		.execute();
}
