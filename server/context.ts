/** The per-request context every procedure sees. */
import type { Kysely } from 'kysely';
import type { Database } from './db/schema.js';
import type { Dialect } from './db/database.js';

export interface Context {
	db: Kysely<Database>;
	dialect: Dialect;
	/** Incoming request headers (cookies, user agent). */
	headers: Headers;
	/** Headers to add to the response (Set-Cookie). */
	resHeaders: Headers;
}
