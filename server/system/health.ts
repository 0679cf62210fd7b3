import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Dialect } from '../db/database.js';
import { migrationStatus } from '../db/migrate.js';
import { OASIS_VERSION } from '../version.js';

export interface Health {
	ok: boolean;
	version: string;
	dialect: Dialect;
	migrations: { applied: number; pending: string[]; latest: string | null };
}

/** What a deployment's health check reports: version, dialect and migration state. */
export async function health(db: Kysely<Database>, dialect: Dialect): Promise<Health> {
	await sql`select 1`.execute(db);
	const state = await migrationStatus(db);
	return {
		ok: state.pending.length === 0,
		version: OASIS_VERSION,
		dialect,
		migrations: { applied: state.applied.length, pending: state.pending, latest: state.latest }
	};
}
