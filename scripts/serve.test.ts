import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { workerCount } from './worker-count.mjs';

describe('workerCount (OASIS_WORKERS)', () => {
	it('defaults to one process', () => {
		expect(workerCount({ DATABASE_URL: 'sqlite:./data/oasis.db' })).toBe(1);
		expect(workerCount({})).toBe(1);
		expect(workerCount({ DATABASE_URL: 'postgres://u:p@localhost:5432/oasis' })).toBe(1);
	});

	it('refuses several processes on an in-memory SQLite database, which processes cannot share', () => {
		expect(workerCount({ DATABASE_URL: 'sqlite::memory:' })).toBe(1);
		expect(workerCount({ DATABASE_URL: 'sqlite::memory:', OASIS_WORKERS: '1' })).toBe(1);
		expect(() => workerCount({ DATABASE_URL: 'sqlite://:memory:', OASIS_WORKERS: '2' })).toThrow(/needs a database several processes can share/);
	});

	it('takes OASIS_WORKERS as given, and refuses what is not a process count', () => {
		expect(workerCount({ OASIS_WORKERS: '3', DATABASE_URL: 'sqlite:./data/oasis.db' })).toBe(3);
		expect(workerCount({ OASIS_WORKERS: String(availableParallelism()) })).toBe(availableParallelism());
		for (const bad of ['0', 'two', '1.5', '-1', '1000']) expect(() => workerCount({ OASIS_WORKERS: bad })).toThrow(/OASIS_WORKERS must be a whole number/);
	});
});
