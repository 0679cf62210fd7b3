import type { Kysely } from 'kysely';

// Frozen: never edit a migration after it has landed; add a new one.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
	// Deployment settings (tree-manager configuration and the like), one JSON value per key.
	await db.schema
		.createTable('app_setting')
		.addColumn('key', 'varchar(100)', (c) => c.primaryKey())
		.addColumn('value', 'text', (c) => c.notNull())
		.addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
		.execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('app_setting').execute();
}
