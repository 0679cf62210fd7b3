import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { describeEachDialect } from '../testing/dialects';
import { migrations } from './migrations/index';
import { migrationStatus } from './migrate';
import { health } from '../system/health';
import { DatabaseConnectError, openDatabase } from './database';

describeEachDialect('database', (handle, dialect) => {
	it('is migrated to the latest migration on open', async () => {
		const state = await migrationStatus(handle.current.db);
		expect(state.pending).toEqual([]);
		expect(state.applied).toEqual(Object.keys(migrations));
	});

	it('reports health: version, dialect, migration state', async () => {
		const h = await health(handle.current.db, handle.current.dialect);
		expect(h).toMatchObject({ ok: true, dialect, migrations: { pending: [], latest: Object.keys(migrations).at(-1) } });
	});

	it('opening again is a no-op for migrations', async () => {
		const again = await openDatabase(handle.url);
		const state = await migrationStatus(again.db);
		await again.close();
		expect(state.pending).toEqual([]);
	});

	it('every migration can be rolled back and re-applied', async () => {
		const { Migrator } = await import('kysely');
		const m = new Migrator({ db: handle.current.db, provider: { getMigrations: async () => migrations } });
		const down = await m.migrateTo('2026_11_27_0001_settings');
		expect(down.error).toBeUndefined();
		const up = await m.migrateToLatest();
		expect(up.error).toBeUndefined();
		const r = await sql<{ n: number }>`select count(*) as n from app_setting`.execute(handle.current.db);
		expect(Number(r.rows[0]?.n)).toBe(0);
	});
});

describe('database errors', () => {
	it('an unreachable PostgreSQL server stops with a message naming the problem', async () => {
		await expect(openDatabase('postgres://oasis:pw@127.0.0.1:1/none')).rejects.toThrow(DatabaseConnectError);
		await expect(openDatabase('postgres://oasis:pw@127.0.0.1:1/none')).rejects.toThrow(/Cannot reach PostgreSQL.*\*\*\*/);
	});
	it('an unwritable SQLite path stops with a message naming the path', async () => {
		await expect(openDatabase('sqlite:/etc/passwd/oasis/x.db')).rejects.toThrow(/Cannot open the SQLite database at \/etc\/passwd\/oasis\/x\.db/);
	});
});
