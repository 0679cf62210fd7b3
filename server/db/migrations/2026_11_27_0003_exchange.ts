import type { Kysely } from 'kysely';

// Frozen: never edit a migration after it has landed; add a new one.
//
// What an oasst import keeps beyond the `message` columns, so that a backup export gives back
// exactly what was read. Portable as 0002: text ids, 0/1 integers, ISO-8601 text dates, JSON text.

const ID = 'varchar(64)';
const TS = 'varchar(32)';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
	// One row per imported message. `absent` lists the fields the file left out (or gave as null)
	// whose `message` column cannot say so (created_date, lang, review_count, deleted, synthetic,
	// emojis, message_tree_id); `seq` is the message's position in its file, which orders
	// unranked, undated siblings as the file did.
	await db.schema
		.createTable('message_import')
		.addColumn('message_id', ID, (c) => c.primaryKey().references('message.id').onDelete('cascade'))
		.addColumn('seq', 'integer', (c) => c.notNull())
		.addColumn('absent', 'text', (c) => c.notNull().defaultTo('[]'))
		.addColumn('events', 'text') // JSON {kind: [event]} as given
		.addColumn('detoxify', 'text') // JSON of the seven scores as given
		.addColumn('imported_date', TS, (c) => c.notNull())
		.execute();

	// One row per imported tree: the state the file gave (the live state is in
	// message_tree_state, which only trees whose root was imported get).
	await db.schema
		.createTable('tree_import')
		.addColumn('message_tree_id', ID, (c) => c.primaryKey())
		.addColumn('source_state', 'varchar(32)')
		.addColumn('imported_date', TS, (c) => c.notNull())
		.execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('tree_import').execute();
	await db.schema.dropTable('message_import').execute();
}
