/** Row type of handed-out tasks. */
import type { Generated, Selectable } from 'kysely';

export interface TaskTable {
	id: string;
	type: string;
	/** JSON task body as handed to the client. */
	payload: string;
	user_id: string;
	lang: string;
	created_date: string;
	expiry_date: string;
	/** null until acked (1) or nacked (0). */
	ack: number | null;
	done: Generated<number>;
	skipped: Generated<number>;
	skip_reason: string | null;
	frontend_message_id: string | null;
	message_tree_id: string | null;
	parent_message_id: string | null;
	collective: Generated<number>;
	/** JSON result of the first accepted submission, replayed when the client repeats it. */
	result: string | null;
}
export type Task = Selectable<TaskTable>;
