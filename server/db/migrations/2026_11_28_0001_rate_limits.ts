import type { Kysely } from 'kysely';

// Frozen: never edit a migration after it has landed; add a new one.
//
// Rate limits in the database, so they hold across every process serving one database
// (OASIS_WORKERS > 1, or several servers): one row per counted hit, in milliseconds since the
// epoch. Rows older than the longest window are pruned as hits come in.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.createTable('rate_limit_hit')
		.addColumn('subject', 'varchar(320)', (c) => c.notNull())
		.addColumn('name', 'varchar(64)', (c) => c.notNull())
		.addColumn('hit_at', 'bigint', (c) => c.notNull())
		.execute();
	await db.schema.createIndex('rate_limit_hit_key_idx').on('rate_limit_hit').columns(['subject', 'name', 'hit_at']).execute();
	await db.schema.createIndex('rate_limit_hit_at_idx').on('rate_limit_hit').column('hit_at').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('rate_limit_hit').execute();
}
