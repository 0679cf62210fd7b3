/**
 * Migrations are plain modules listed in ./migrations/index.ts (a static map rather than a
 * folder scan, so they survive bundling by Vite for the production server).
 */
import { type Kysely, type MigrationResult, Migrator } from 'kysely';
import { migrations } from './migrations/index.js';

export class MigrationError extends Error {
	override name = 'MigrationError';
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function migrator(db: Kysely<any>): Migrator {
	return new Migrator({ db, provider: { getMigrations: async () => migrations } });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResult[]> {
	const { error, results } = await migrator(db).migrateToLatest();
	if (error) {
		const failed = results?.find((r) => r.status === 'Error');
		throw new MigrationError(`Database migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? String(error)}`);
	}
	return results ?? [];
}

export interface MigrationState {
	applied: string[];
	pending: string[];
	latest: string | null;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function migrationStatus(db: Kysely<any>): Promise<MigrationState> {
	const all = await migrator(db).getMigrations();
	const applied = all.filter((m) => m.executedAt).map((m) => m.name);
	const pending = all.filter((m) => !m.executedAt).map((m) => m.name);
	return { applied, pending, latest: applied.at(-1) ?? null };
}
