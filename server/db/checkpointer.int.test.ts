/**
 * Background WAL checkpoints (checkpointer.ts): commits of a server-opened SQLite database reach
 * the database file itself without any checkpoint from the server's connection, the server's
 * own threshold is the backstop, and closing stops the worker thread.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase } from './database.js';
import { BACKSTOP_PAGES } from './checkpointer.js';

const dir = mkdtempSync(join(tmpdir(), 'oasis-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Rows of `probe` in a copy of the database file alone (its log left behind); -1 when the copy
 * caught the file halfway through a checkpoint's writes (a torn copy: try again later).
 */
async function rowsInFileAlone(path: string): Promise<number> {
	const copy = join(dir, `copy-${Math.random().toString(36).slice(2)}.db`);
	copyFileSync(path, copy);
	const { default: SQLite } = await import('better-sqlite3');
	const handle = new SQLite(copy, { readonly: true });
	try {
		const table = handle.prepare(`select count(*) as n from sqlite_master where name = 'probe'`).get() as { n: number };
		return table.n === 0 ? 0 : (handle.prepare('select count(*) as n from probe').get() as { n: number }).n;
	} catch (e) {
		if ((e as { code?: string }).code === 'SQLITE_CORRUPT' || (e as { code?: string }).code === 'SQLITE_NOTADB') return -1;
		throw e;
	} finally {
		handle.close();
	}
}

it('copies committed pages into the database file on its own, and stops on close', async () => {
	const path = join(dir, 'server.db');
	const opened = await openDatabase(`sqlite:${path}`, { backgroundCheckpoints: true });
	try {
		const threshold = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(opened.db);
		expect(threshold.rows[0].wal_autocheckpoint).toBe(BACKSTOP_PAGES);
		await sql`create table probe (id integer primary key, text text not null)`.execute(opened.db);
		for (let i = 0; i < 50; i++) await sql`insert into probe (text) values (${`row ${i}`})`.execute(opened.db);
		// Far below the backstop, so only the worker can have copied them.
		let copied = 0;
		for (let wait = 0; wait < 50 && copied < 50; wait++) {
			await new Promise((r) => setTimeout(r, 100));
			copied = await rowsInFileAlone(path);
		}
		expect(copied).toBe(50);
	} finally {
		await opened.close();
	}
	// Closed, and whole when opened again.
	const again = await openDatabase(`sqlite:${path}`, { migrate: false });
	const { rows } = await sql<{ n: number }>`select count(*) as n from probe`.execute(again.db);
	expect(rows[0].n).toBe(50);
	await again.close();
});

it('leaves checkpoints to SQLite for short-lived connections', async () => {
	const path = join(dir, 'cli.db');
	const opened = await openDatabase(`sqlite:${path}`, { migrate: false });
	await sql`create table probe (id integer primary key, text text not null)`.execute(opened.db);
	for (let i = 0; i < 20; i++) await sql`insert into probe (text) values (${`row ${i}`})`.execute(opened.db);
	const threshold = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(opened.db);
	expect(threshold.rows[0].wal_autocheckpoint).toBe(1000);
	await new Promise((r) => setTimeout(r, 500));
	expect(await rowsInFileAlone(path)).toBe(0); // 20 small commits stay in the log until 1,000 pages
	await opened.close();
});
