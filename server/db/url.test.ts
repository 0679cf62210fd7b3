import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { DEFAULT_DATABASE_URL, DatabaseUrlError, parseDatabaseUrl, redact } from './url';
import { OASIS_VERSION } from '../version';

describe('parseDatabaseUrl', () => {
	it('defaults to a SQLite file under ./data', () => {
		expect(DEFAULT_DATABASE_URL).toBe('sqlite:./data/oasis.db');
		expect(parseDatabaseUrl('')).toEqual({ dialect: 'sqlite', path: resolve('data/oasis.db') });
	});
	it('accepts sqlite paths and :memory:', () => {
		expect(parseDatabaseUrl('sqlite:/tmp/a.db')).toEqual({ dialect: 'sqlite', path: '/tmp/a.db' });
		expect(parseDatabaseUrl('sqlite::memory:')).toEqual({ dialect: 'sqlite', path: ':memory:' });
	});
	it('accepts postgres and postgresql URLs', () => {
		expect(parseDatabaseUrl('postgres://u:p@localhost:5432/db').dialect).toBe('postgres');
		expect(parseDatabaseUrl('postgresql://u@h/db').dialect).toBe('postgres');
	});
	it('rejects other schemes with a message that says what to write', () => {
		expect(() => parseDatabaseUrl('mysql://x')).toThrow(DatabaseUrlError);
		expect(() => parseDatabaseUrl('mysql://x')).toThrow(/sqlite:PATH.*postgres:\/\//);
		expect(() => parseDatabaseUrl('sqlite:')).toThrow(/no file path/);
		expect(() => parseDatabaseUrl('postgres://')).toThrow(/not a valid PostgreSQL URL/);
	});
	it('never prints a password', () => {
		expect(redact('postgres://user:secret@host/db')).toBe('postgres://user:***@host/db');
		expect(() => parseDatabaseUrl('foo://user:secret@host')).toThrow(/^(?!.*secret)/);
	});
});

describe('version', () => {
	it('matches package.json', () => {
		const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
		expect(OASIS_VERSION).toBe(pkg.version);
	});
});
