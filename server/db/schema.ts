/**
 * The database schema as TypeScript types: one interface per table (each domain keeps its
 * own in `<domain>/*.table.ts`), composed into `Database`. Keep in step with ./migrations
 * (which never import this file).
 */
import type { AccountTable, SessionTable, UserTable } from '../users/users.table.js';
import type {
	FlaggedMessageTable,
	JournalTable,
	MessageEmojiTable,
	MessageReactionTable,
	MessageRevisionTable,
	MessageTable,
	MessageTreeStateTable,
	TextLabelsTable
} from '../trees/trees.table.js';
import type { TaskTable } from '../trees/tasks.table.js';
import type { TrollStatsTable, UserStatsTable } from '../community/community.table.js';
import type { SnapshotTable } from '../exchange/snapshot.table.js';
import type { TrainingJobTable, TrainingRoundTable, TrainingUnitTable, TrainingUpdateTable } from '../training/training.table.js';

export interface AppSettingTable {
	key: string;
	value: string;
	updated_at: string;
}

/**
 * `work_stamp`: a change stamp per tree, bumped by SQLite triggers on every message write that
 * task selection reads (trees/work-view.ts caches active trees by it). Since 2026_11_28_0002.
 */
export interface WorkStampTable {
	message_tree_id: string;
	version: number;
}

/** `rate_limit_hit`: one counted hit of a rate limit (users/rate-limit.ts). Since 2026_11_28_0001. */
export interface RateLimitHitTable {
	subject: string;
	name: string;
	/** Milliseconds since the epoch. */
	hit_at: number;
}

export interface Database {
	app_setting: AppSettingTable;
	user: UserTable;
	account: AccountTable;
	session: SessionTable;
	message: MessageTable;
	message_revision: MessageRevisionTable;
	message_emoji: MessageEmojiTable;
	message_reaction: MessageReactionTable;
	text_labels: TextLabelsTable;
	task: TaskTable;
	flagged_message: FlaggedMessageTable;
	message_tree_state: MessageTreeStateTable;
	journal: JournalTable;
	user_stats: UserStatsTable;
	troll_stats: TrollStatsTable;
	snapshot: SnapshotTable;
	training_job: TrainingJobTable;
	training_round: TrainingRoundTable;
	training_unit: TrainingUnitTable;
	training_update: TrainingUpdateTable;
	rate_limit_hit: RateLimitHitTable;
	work_stamp: WorkStampTable;
}
