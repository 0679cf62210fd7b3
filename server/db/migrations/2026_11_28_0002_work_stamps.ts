import { SqliteAdapter, sql, type Kysely } from 'kysely';

// Frozen: never edit a migration after it has landed; add a new one.
//
// A change stamp per conversation tree, for the task request's cache of active trees
// (trees/work-view.ts). On SQLite, triggers bump a tree's stamp in the same transaction as any
// insert, delete, or update of a message column that task selection reads, whoever writes it
// (this process, another process serving the same file, the CLI), so a cached tree is reused
// exactly while its stamp is unchanged. A stamp is never reset (a purged tree keeps its row),
// so a tree that is deleted and imported again cannot match an old cached copy.
//
// PostgreSQL gets the table but no triggers, and the cache stays off there: a trigger writing
// the tree's stamp row from every message write would lock it after the message, the reverse
// of the task → tree → message order its transactions lock in (tasks.service.ts), and two
// writers on one tree could deadlock.

/** Message columns that the work view reads (work.ts WORK_MESSAGE_COLUMNS) and orders by. */
const WATCHED = ['id', 'parent_id', 'message_tree_id', 'user_id', 'role', 'text', 'lang', 'depth', 'deleted', 'review_count', 'review_result', 'synthetic', 'created_date'];

const bump = (tree: 'new' | 'old') =>
	`insert into work_stamp (message_tree_id, version) select ${tree}.message_tree_id, 1 where true on conflict (message_tree_id) do update set version = work_stamp.version + 1;`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.createTable('work_stamp')
		.addColumn('message_tree_id', 'varchar(64)', (c) => c.primaryKey())
		.addColumn('version', 'bigint', (c) => c.notNull())
		.execute();
	if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return;
	await sql`insert into work_stamp (message_tree_id, version) select distinct message_tree_id, 1 from message`.execute(db);
	await sql.raw(`create trigger work_stamp_message_insert after insert on message begin ${bump('new')} end`).execute(db);
	await sql.raw(`create trigger work_stamp_message_delete after delete on message begin ${bump('old')} end`).execute(db);
	await sql
		.raw(
			`create trigger work_stamp_message_update after update of ${WATCHED.join(', ')} on message begin ${bump('new')} ` +
				`insert into work_stamp (message_tree_id, version) select old.message_tree_id, 1 where old.message_tree_id is not new.message_tree_id on conflict (message_tree_id) do update set version = work_stamp.version + 1; end`
		)
		.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
	if (db.getExecutor().adapter instanceof SqliteAdapter) {
		for (const name of ['work_stamp_message_insert', 'work_stamp_message_delete', 'work_stamp_message_update']) await sql.raw(`drop trigger if exists ${name}`).execute(db);
	}
	await db.schema.dropTable('work_stamp').execute();
}
