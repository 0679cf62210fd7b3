/**
 * What a domain service needs from its caller: the database (or a transaction on it), the
 * dialect (for row locks that only PostgreSQL has), a clock, randomness and the rate limiter.
 * A tRPC context is one; tests and the CLI build their own.
 */
import type { Kysely } from 'kysely';
import type { Database } from './db/schema.js';
import type { Dialect } from './db/database.js';
import type { Limiter } from './users/rate-limit.js';

export interface ServiceEnv {
	db: Kysely<Database>;
	dialect: Dialect;
	now: () => Date;
	random: () => number;
	limiter: Limiter;
}

/** `db` or a transaction on it: repositories accept either (Kysely's Transaction extends Kysely). */
export type Db = Kysely<Database>;

/** Run `body` in a transaction and hand it an env bound to that transaction. */
export function inTransaction<T>(env: ServiceEnv, body: (tx: ServiceEnv) => Promise<T>): Promise<T> {
	return env.db.transaction().execute((trx) => body({ ...env, db: trx }));
}
