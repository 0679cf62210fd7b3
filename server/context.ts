/** The per-request context every procedure sees, and how a request builds it. */
import type { Kysely } from 'kysely';
import type { Database } from './db/schema.js';
import type { Dialect } from './db/database.js';
import { RateLimiter } from './users/rate-limit.js';
import { resolveSession, type SessionUser } from './users/sessions.js';
import { readCookie, SESSION_COOKIE } from './users/cookies.js';

export interface Context {
	db: Kysely<Database>;
	dialect: Dialect;
	/** Incoming request headers (cookies, user agent). */
	headers: Headers;
	/** Headers to add to the response (Set-Cookie). */
	resHeaders: Headers;
	/** The signed-in user, or null. Role-checked procedures narrow this. */
	user: SessionUser | null;
	/** Randomness for task selection (seeded in tests and simulations). */
	random: () => number;
	/** The clock (moved in tests to expire tasks). */
	now: () => Date;
	limiter: RateLimiter;
}

/** One limiter per process: limits must hold across requests. */
const processLimiter = new RateLimiter();

/** What the HTTP endpoint (or a test) supplies to build a context. */
export interface ContextInput {
	db: Kysely<Database>;
	dialect: Dialect;
	headers: Headers;
	resHeaders?: Headers;
	random?: () => number;
	now?: () => Date;
	limiter?: RateLimiter;
}

/** Build a request's context: resolves the session cookie to a user. */
export async function createContext(input: ContextInput): Promise<Context> {
	const now = input.now ?? (() => new Date());
	const token = readCookie(input.headers.get('cookie'), SESSION_COOKIE);
	return {
		db: input.db,
		dialect: input.dialect,
		headers: input.headers,
		resHeaders: input.resHeaders ?? new Headers(),
		user: await resolveSession(input.db, token, now()),
		random: input.random ?? Math.random,
		now,
		limiter: input.limiter ?? processLimiter
	};
}
