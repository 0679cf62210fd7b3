// How many server processes scripts/serve.mjs runs (OASIS_WORKERS), kept apart so it can be
// tested and type-checked on its own.

/**
 * How many processes serve: OASIS_WORKERS (default 1). An in-memory SQLite database cannot be
 * shared, so it always gets one process.
 *
 * @param {Record<string, string | undefined>} [env]
 * @returns {number}
 */
export function workerCount(env = process.env) {
	const value = env.OASIS_WORKERS;
	const url = (env.DATABASE_URL ?? '').trim();
	const path = url.startsWith('sqlite:') ? url.slice('sqlite:'.length).replace(/^\/\//, '') : null;
	if (value === undefined || value === '') return 1;
	if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 256) throw new Error(`OASIS_WORKERS must be a whole number of processes from 1 to 256, not '${value}'.`);
	if (path === ':memory:' && Number(value) > 1) throw new Error('OASIS_WORKERS above 1 needs a database several processes can share: an SQLite file or PostgreSQL, not sqlite::memory:.');
	return Number(value);
}
