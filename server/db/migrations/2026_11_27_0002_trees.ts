import type { Kysely } from 'kysely';

// Frozen: never edit a migration after it has landed; add a new one.
//
// Portable on SQLite and PostgreSQL: ids are text (uuid strings), booleans are integers 0/1,
// timestamps are ISO-8601 UTC strings (`Date#toISOString`, so they sort as text), JSON is
// text. One set of queries then runs unchanged on both dialects.

const ID = 'varchar(64)';
const TS = 'varchar(32)';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
	const s = db.schema;

	await s
		.createTable('user')
		.addColumn('id', ID, (c) => c.primaryKey())
		.addColumn('display_name', 'varchar(200)', (c) => c.notNull())
		.addColumn('role', 'varchar(16)', (c) => c.notNull().defaultTo('general'))
		.addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
		.addColumn('show_on_leaderboard', 'integer', (c) => c.notNull().defaultTo(1))
		.addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('notes', 'text', (c) => c.notNull().defaultTo(''))
		.addColumn('created_date', TS, (c) => c.notNull())
		.addColumn('streak_days', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('streak_last_day_date', TS)
		.addColumn('last_activity_date', TS)
		.execute();

	await s
		.createTable('account')
		.addColumn('id', ID, (c) => c.primaryKey())
		.addColumn('user_id', ID, (c) => c.notNull().references('user.id').onDelete('cascade'))
		.addColumn('provider', 'varchar(32)', (c) => c.notNull())
		.addColumn('provider_account_id', 'varchar(320)', (c) => c.notNull())
		.addColumn('password_hash', 'text')
		.addColumn('created_date', TS, (c) => c.notNull())
		.addUniqueConstraint('account_provider_uq', ['provider', 'provider_account_id'])
		.execute();
	await s.createIndex('account_user_idx').on('account').column('user_id').execute();

	await s
		.createTable('session')
		.addColumn('id', ID, (c) => c.primaryKey()) // sha-256 of the cookie token, never the token
		.addColumn('user_id', ID, (c) => c.notNull().references('user.id').onDelete('cascade'))
		.addColumn('created_date', TS, (c) => c.notNull())
		.addColumn('expires_date', TS, (c) => c.notNull())
		.execute();
	await s.createIndex('session_user_idx').on('session').column('user_id').execute();

	// message.user_id has no foreign key: imported messages keep their authors as opaque ids.
	await s
		.createTable('message')
		.addColumn('id', ID, (c) => c.primaryKey())
		.addColumn('parent_id', ID)
		.addColumn('message_tree_id', ID, (c) => c.notNull())
		.addColumn('task_id', ID)
		.addColumn('user_id', ID)
		.addColumn('role', 'varchar(16)', (c) => c.notNull())
		.addColumn('frontend_message_id', 'varchar(200)')
		.addColumn('created_date', TS, (c) => c.notNull())
		.addColumn('text', 'text', (c) => c.notNull())
		.addColumn('lang', 'varchar(32)', (c) => c.notNull().defaultTo('en'))
		.addColumn('depth', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('children_count', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('review_count', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('review_result', 'integer')
		.addColumn('ranking_count', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('rank', 'integer')
		.addColumn('synthetic', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('edited', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('model_name', 'varchar(1024)')
		.addColumn('emojis', 'text', (c) => c.notNull().defaultTo('{}'))
		// Label totals as given by an import ({name: {value, count}}); live labels are in text_labels.
		.addColumn('label_totals', 'text')
		.execute();
	await s.createIndex('message_tree_idx').on('message').column('message_tree_id').execute();
	await s.createIndex('message_parent_idx').on('message').column('parent_id').execute();
	await s.createIndex('message_user_created_idx').on('message').columns(['user_id', 'created_date']).execute();
	await s.createIndex('message_frontend_uq').on('message').columns(['user_id', 'frontend_message_id']).unique().execute();
	await s.createIndex('message_review_idx').on('message').columns(['review_result', 'deleted', 'lang']).execute();

	await s
		.createTable('message_revision')
		.addColumn('id', ID, (c) => c.primaryKey())
		.addColumn('message_id', ID, (c) => c.notNull().references('message.id').onDelete('cascade'))
		.addColumn('user_id', ID)
		.addColumn('text', 'text', (c) => c.notNull())
		.addColumn('created_date', TS, (c) => c.notNull())
		.execute();
	await s.createIndex('message_revision_msg_idx').on('message_revision').column('message_id').execute();

	await s
		.createTable('message_emoji')
		.addColumn('message_id', ID, (c) => c.notNull().references('message.id').onDelete('cascade'))
		.addColumn('user_id', ID, (c) => c.notNull())
		.addColumn('emoji', 'varchar(32)', (c) => c.notNull())
		.addColumn('created_date', TS, (c) => c.notNull())
		.addPrimaryKeyConstraint('message_emoji_pk', ['message_id', 'user_id', 'emoji'])
		.execute();
	await s.createIndex('message_emoji_user_idx').on('message_emoji').columns(['user_id', 'emoji']).execute();

	await s
		.createTable('message_reaction')
		.addColumn('id', ID, (c) => c.primaryKey())
		.addColumn('task_id', ID)
		.addColumn('user_id', ID, (c) => c.notNull())
		.addColumn('message_id', ID, (c) => c.notNull()) // the ranked parent, or the rated message
		.addColumn('message_tree_id', ID, (c) => c.notNull())
		.addColumn('kind', 'varchar(16)', (c) => c.notNull()) // ranking | rating
		.addColumn('payload', 'text', (c) => c.notNull())
		.addColumn('not_rankable', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('created_date', TS, (c) => c.notNull())
		.execute();
	await s.createIndex('message_reaction_msg_idx').on('message_reaction').columns(['message_id', 'kind']).execute();
	await s.createIndex('message_reaction_tree_idx').on('message_reaction').columns(['message_tree_id', 'user_id']).execute();
	await s.createIndex('message_reaction_task_uq').on('message_reaction').column('task_id').unique().execute();

	await s
		.createTable('text_labels')
		.addColumn('id', ID, (c) => c.primaryKey())
		.addColumn('message_id', ID, (c) => c.notNull().references('message.id').onDelete('cascade'))
		.addColumn('user_id', ID, (c) => c.notNull())
		.addColumn('task_id', ID)
		.addColumn('text', 'text', (c) => c.notNull().defaultTo(''))
		.addColumn('labels', 'text', (c) => c.notNull())
		.addColumn('mode', 'varchar(8)') // simple | full (null for reports)
		.addColumn('is_report', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('created_date', TS, (c) => c.notNull())
		.execute();
	await s.createIndex('text_labels_msg_idx').on('text_labels').column('message_id').execute();
	await s.createIndex('text_labels_user_idx').on('text_labels').columns(['user_id', 'created_date']).execute();
	await s.createIndex('text_labels_task_uq').on('text_labels').column('task_id').unique().execute();

	await s
		.createTable('task')
		.addColumn('id', ID, (c) => c.primaryKey())
		.addColumn('type', 'varchar(32)', (c) => c.notNull())
		.addColumn('payload', 'text', (c) => c.notNull())
		.addColumn('user_id', ID, (c) => c.notNull())
		.addColumn('lang', 'varchar(32)', (c) => c.notNull())
		.addColumn('created_date', TS, (c) => c.notNull())
		.addColumn('expiry_date', TS, (c) => c.notNull())
		.addColumn('ack', 'integer') // null until acked or nacked
		.addColumn('done', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('skipped', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('skip_reason', 'varchar(512)')
		.addColumn('frontend_message_id', 'varchar(200)')
		.addColumn('message_tree_id', ID)
		.addColumn('parent_message_id', ID)
		.addColumn('collective', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('result', 'text') // the first submission's result, replayed on a repeat
		.execute();
	await s.createIndex('task_user_created_idx').on('task').columns(['user_id', 'created_date']).execute();
	await s.createIndex('task_parent_created_idx').on('task').columns(['parent_message_id', 'created_date']).execute();
	// Open reply tasks of the last few minutes (the recent-parents exclusion).
	await s.createIndex('task_open_created_idx').on('task').columns(['done', 'skipped', 'created_date']).execute();

	await s
		.createTable('flagged_message')
		.addColumn('message_id', ID, (c) => c.primaryKey().references('message.id').onDelete('cascade'))
		.addColumn('processed', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('created_date', TS, (c) => c.notNull())
		.execute();

	await s
		.createTable('message_tree_state')
		.addColumn('message_tree_id', ID, (c) => c.primaryKey())
		.addColumn('goal_tree_size', 'integer', (c) => c.notNull())
		.addColumn('max_depth', 'integer', (c) => c.notNull())
		.addColumn('max_children_count', 'integer', (c) => c.notNull())
		.addColumn('state', 'varchar(32)', (c) => c.notNull())
		.addColumn('active', 'integer', (c) => c.notNull())
		.addColumn('origin', 'varchar(32)')
		.addColumn('won_prompt_lottery_date', TS)
		.addColumn('lang', 'varchar(32)', (c) => c.notNull())
		.execute();
	await s.createIndex('tree_state_state_lang_idx').on('message_tree_state').columns(['state', 'lang']).execute();

	await s
		.createTable('journal')
		.addColumn('id', ID, (c) => c.primaryKey())
		.addColumn('created_date', TS, (c) => c.notNull())
		.addColumn('user_id', ID)
		.addColumn('message_id', ID)
		.addColumn('event_type', 'varchar(64)', (c) => c.notNull())
		.addColumn('payload', 'text', (c) => c.notNull())
		.execute();
	await s.createIndex('journal_created_idx').on('journal').column('created_date').execute();

	const counter = 'integer';
	await s
		.createTable('user_stats')
		.addColumn('user_id', ID, (c) => c.notNull())
		.addColumn('time_frame', 'varchar(16)', (c) => c.notNull())
		.addColumn('base_date', TS)
		.addColumn('modified_date', TS, (c) => c.notNull())
		.addColumn('leader_score', counter, (c) => c.notNull().defaultTo(0))
		.addColumn('rank', 'integer')
		.addColumn('prompts', counter, (c) => c.notNull().defaultTo(0))
		.addColumn('replies_assistant', counter, (c) => c.notNull().defaultTo(0))
		.addColumn('replies_prompter', counter, (c) => c.notNull().defaultTo(0))
		.addColumn('labels_simple', counter, (c) => c.notNull().defaultTo(0))
		.addColumn('labels_full', counter, (c) => c.notNull().defaultTo(0))
		.addColumn('rankings_total', counter, (c) => c.notNull().defaultTo(0))
		.addColumn('rankings_good', counter, (c) => c.notNull().defaultTo(0))
		.addColumn('accepted_prompts', counter, (c) => c.notNull().defaultTo(0))
		.addColumn('accepted_replies_assistant', counter, (c) => c.notNull().defaultTo(0))
		.addColumn('accepted_replies_prompter', counter, (c) => c.notNull().defaultTo(0))
		.addColumn('reply_ranked_1', counter, (c) => c.notNull().defaultTo(0))
		.addColumn('reply_ranked_2', counter, (c) => c.notNull().defaultTo(0))
		.addColumn('reply_ranked_3', counter, (c) => c.notNull().defaultTo(0))
		.addPrimaryKeyConstraint('user_stats_pk', ['user_id', 'time_frame'])
		.execute();
	await s.createIndex('user_stats_frame_score_idx').on('user_stats').columns(['time_frame', 'leader_score']).execute();

	await s
		.createTable('troll_stats')
		.addColumn('user_id', ID, (c) => c.notNull())
		.addColumn('time_frame', 'varchar(16)', (c) => c.notNull())
		.addColumn('base_date', TS)
		.addColumn('modified_date', TS, (c) => c.notNull())
		.addColumn('troll_score', counter, (c) => c.notNull().defaultTo(0))
		.addColumn('rank', 'integer')
		.addColumn('red_flags', counter, (c) => c.notNull().defaultTo(0))
		.addColumn('upvotes', counter, (c) => c.notNull().defaultTo(0))
		.addColumn('downvotes', counter, (c) => c.notNull().defaultTo(0))
		.addColumn('spam_prompts', counter, (c) => c.notNull().defaultTo(0))
		.addColumn('quality', 'real')
		.addColumn('humor', 'real')
		.addColumn('toxicity', 'real')
		.addColumn('violence', 'real')
		.addColumn('helpfulness', 'real')
		.addColumn('spam', counter, (c) => c.notNull().defaultTo(0))
		.addColumn('lang_mismatch', counter, (c) => c.notNull().defaultTo(0))
		.addColumn('not_appropriate', counter, (c) => c.notNull().defaultTo(0))
		.addColumn('pii', counter, (c) => c.notNull().defaultTo(0))
		.addColumn('hate_speech', counter, (c) => c.notNull().defaultTo(0))
		.addColumn('sexual_content', counter, (c) => c.notNull().defaultTo(0))
		.addColumn('political_content', counter, (c) => c.notNull().defaultTo(0))
		.addPrimaryKeyConstraint('troll_stats_pk', ['user_id', 'time_frame'])
		.execute();

	await s
		.createTable('snapshot')
		.addColumn('id', ID, (c) => c.primaryKey())
		.addColumn('created_date', TS, (c) => c.notNull())
		.addColumn('created_by', ID)
		.addColumn('format', 'varchar(16)', (c) => c.notNull()) // trees | messages
		.addColumn('filters', 'text', (c) => c.notNull())
		.addColumn('content_hash', 'varchar(128)', (c) => c.notNull())
		.addColumn('path', 'text') // a file beside the database, or null when `content` holds it
		.addColumn('content', 'text')
		.addColumn('byte_size', 'integer', (c) => c.notNull())
		.addColumn('tree_count', 'integer', (c) => c.notNull())
		.addColumn('message_count', 'integer', (c) => c.notNull())
		.execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
	for (const table of [
		'snapshot',
		'troll_stats',
		'user_stats',
		'journal',
		'message_tree_state',
		'flagged_message',
		'task',
		'text_labels',
		'message_reaction',
		'message_emoji',
		'message_revision',
		'message',
		'session',
		'account',
		'user'
	]) {
		await db.schema.dropTable(table).execute();
	}
}
