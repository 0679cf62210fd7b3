import type { Kysely } from 'kysely';

// Frozen: never edit a migration after it has landed; add a new one.
//
// Account settings: the language a volunteer contributes in (null: the browser's language is
// used), and indexes for the message browser (newest first, per language) and user search.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable('user').addColumn('language', 'varchar(32)').execute();
	await db.schema.createIndex('message_created_idx').on('message').columns(['created_date', 'id']).execute();
	await db.schema.createIndex('message_lang_created_idx').on('message').columns(['lang', 'created_date']).execute();
	await db.schema.createIndex('user_display_name_idx').on('user').column('display_name').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropIndex('user_display_name_idx').execute();
	await db.schema.dropIndex('message_lang_created_idx').execute();
	await db.schema.dropIndex('message_created_idx').execute();
	await db.schema.alterTable('user').dropColumn('language').execute();
}
