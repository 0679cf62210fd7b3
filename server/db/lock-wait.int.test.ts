/**
 * Waiting for another connection's write lock (database.ts `PatientSqliteDriver`): a statement
 * or transaction refused with SQLITE_BUSY waits asynchronously and goes through once the lock is
 * released, while the process goes on serving other work. Here the lock holder is a second
 * connection in this same process, released from a timer: with SQLite's blocking busy handler
 * that timer could never run while the first connection waited, and the write failed after 5 s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase, type OpenDatabase } from './database.js';

const dir = mkdtempSync(join(tmpdir(), 'oasis-lock-wait-'));
const path = join(dir, 'locks.db');
let opened: OpenDatabase;
let other: import('better-sqlite3').Database;

beforeAll(async () => {
	opened = await openDatabase(`sqlite:${path}`, { migrate: false });
	await sql`create table probe (id integer primary key, text text not null)`.execute(opened.db);
	const { default: SQLite } = await import('better-sqlite3');
	other = new SQLite(path);
});
afterAll(async () => {
	other.close();
	await opened.close();
	rmSync(dir, { recursive: true, force: true });
});

/** Hold the write lock on the other connection until the returned release runs. */
function holdWriteLock(): () => void {
	other.exec('begin immediate');
	other.prepare('insert into probe (text) values (?)').run('by the other connection');
	return () => other.exec('commit');
}

it('an autocommit write waits for the lock without blocking the process', async () => {
	const release = holdWriteLock();
	const events: string[] = [];
	const write = sql`insert into probe (text) values ('waited')`.execute(opened.db).then(() => events.push('written'));
	setTimeout(() => {
		events.push('released');
		release();
	}, 20);
	await write;
	expect(events).toEqual(['released', 'written']);
	const rows = await sql<{ text: string }>`select text from probe order by id`.execute(opened.db);
	expect(rows.rows.map((r) => r.text)).toEqual(['by the other connection', 'waited']);
});

it('a transaction waits for the lock to begin, then runs whole', async () => {
	const release = holdWriteLock();
	const events: string[] = [];
	const done = opened.db.transaction().execute(async (tx) => {
		events.push('began');
		await sql`insert into probe (text) values ('in a transaction')`.execute(tx);
		const { rows } = await sql<{ n: number }>`select count(*) as n from probe`.execute(tx);
		return Number(rows[0].n);
	});
	setTimeout(() => {
		events.push('released');
		release();
	}, 20);
	expect(await done).toBe(4); // it saw the other connection's second row: it began after the release
	expect(events).toEqual(['released', 'began']);
});
