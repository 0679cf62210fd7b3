/**
 * Runs a database test suite once per supported dialect, for real: SQLite in a temporary
 * file always, PostgreSQL when TEST_POSTGRES_URL points at a server (scripts/test.mjs
 * starts a throwaway one). Each suite gets a fresh, migrated database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe } from 'vitest';
import { openDatabase, type OpenDatabase } from '../db/database.js';

export interface DialectHandle {
	/** Valid after beforeAll. */
	readonly current: OpenDatabase;
	readonly url: string;
}

const postgresUrl = process.env.TEST_POSTGRES_URL;

export const testDialects: ('sqlite' | 'postgres')[] = postgresUrl ? ['sqlite', 'postgres'] : ['sqlite'];

/** Create a fresh, empty database URL for one suite (a temp file, or a new PG database). */
export async function freshDatabaseUrl(dialect: 'sqlite' | 'postgres'): Promise<{ url: string; drop(): Promise<void> }> {
	if (dialect === 'sqlite') {
		const dir = mkdtempSync(join(tmpdir(), 'oasis-test-'));
		return { url: `sqlite:${join(dir, 'test.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
	}
	if (!postgresUrl) throw new Error('TEST_POSTGRES_URL is not set');
	const name = `oasis_test_${randomBytes(6).toString('hex')}`;
	const { default: pg } = await import('pg');
	const admin = new pg.Client({ connectionString: postgresUrl });
	await admin.connect();
	await admin.query(`create database ${name}`);
	await admin.end();
	const url = new URL(postgresUrl);
	url.pathname = `/${name}`;
	return {
		url: url.toString(),
		drop: async () => {
			const c = new pg.Client({ connectionString: postgresUrl });
			await c.connect();
			await c.query(`drop database if exists ${name} with (force)`);
			await c.end();
		}
	};
}

/** `describe` once per dialect with a fresh migrated database. */
export function describeEachDialect(name: string, body: (handle: DialectHandle, dialect: 'sqlite' | 'postgres') => void): void {
	for (const dialect of testDialects) {
		describe(`${name} [${dialect}]`, () => {
			let opened: OpenDatabase | undefined;
			let dropper: (() => Promise<void>) | undefined;
			let url = '';
			const handle: DialectHandle = {
				get current() {
					if (!opened) throw new Error('database not opened yet (use it inside a test or hook)');
					return opened;
				},
				get url() {
					return url;
				}
			};
			beforeAll(async () => {
				const fresh = await freshDatabaseUrl(dialect);
				url = fresh.url;
				dropper = fresh.drop;
				opened = await openDatabase(url);
			});
			afterAll(async () => {
				await opened?.close();
				await dropper?.();
			});
			body(handle, dialect);
		});
	}
}
