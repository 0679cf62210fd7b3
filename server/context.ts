/** The per-request context every procedure sees, and how a request builds it. */
import type { Kysely } from 'kysely';
import type { Database } from './db/schema.js';
import type { Dialect } from './db/database.js';
import { DatabaseRateLimiter, type Limiter } from './users/rate-limit.js';
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
	limiter: Limiter;
}

/**
 * The rate limits of each database handle: kept in the database, so they hold across requests
 * and across every process serving it (OASIS_WORKERS, several servers).
 */
const limiters = new WeakMap<Kysely<Database>, Limiter>();
function limiterFor(db: Kysely<Database>, dialect: Dialect): Limiter {
	let limiter = limiters.get(db);
	if (!limiter) limiters.set(db, (limiter = new DatabaseRateLimiter(dialect)));
	return limiter;
}

/** What the HTTP endpoint (or a test) supplies to build a context. */
export interface ContextInput {
	db: Kysely<Database>;
	dialect: Dialect;
	headers: Headers;
	resHeaders?: Headers;
	random?: () => number;
	now?: () => Date;
	limiter?: Limiter;
	/**
	 * Reuse a session lookup made within SESSION_CACHE_MS (see `cachedSession`). Only the HTTP
	 * endpoint sets it, and only for `tasks.*` calls; tests and the CLI always read the table.
	 */
	cacheSession?: boolean;
}

/** How long a resolved session is reused for `cacheSession` requests. */
export const SESSION_CACHE_MS = 5000;

/**
 * Whether this process may reuse session lookups: only when it is the one server process on
 * its database. OASIS_WORKERS (set by scripts/serve.mjs to the number of processes it runs)
 * above 1 switches the cache off, so a sign-out, ban or role change made through any process
 * is seen by the very next call to every other one.
 */
function sessionCacheAllowed(): boolean {
	return (Number(process.env.OASIS_WORKERS) || 1) <= 1;
}
const SESSION_CACHE_MAX = 10_000;
/** token → signed-in user (and the database handle it was read from). Only sessions that resolved to a user are kept. */
const sessionCache = new Map<string, { db: Kysely<Database>; user: SessionUser; at: number }>();
/** Bumped by every invalidation, so a lookup that raced one is not stored. */
let sessionGeneration = 0;

/**
 * Forget every cached session, at once. The HTTP endpoint calls it after every mutation outside
 * `tasks.*` (sign-out, bans, role and profile changes all are), so this process never serves a
 * stale user after such a change; code that changes sessions or users some other way in this
 * process should call it too. A change made by another process (the CLI) is seen within
 * SESSION_CACHE_MS.
 */
export function invalidateSessionCache(): void {
	sessionGeneration++;
	sessionCache.clear();
}

/** `resolveSession`, reusing a recent lookup of the same token on the same database. */
async function cachedSession(db: Kysely<Database>, token: string | null, now: Date): Promise<SessionUser | null> {
	if (!token) return resolveSession(db, token, now);
	const hit = sessionCache.get(token);
	const at = Date.now();
	if (hit && hit.db === db && at - hit.at < SESSION_CACHE_MS) return { ...hit.user };
	const generation = sessionGeneration;
	const user = await resolveSession(db, token, now);
	if (!user) sessionCache.delete(token);
	else if (generation === sessionGeneration) {
		if (sessionCache.size >= SESSION_CACHE_MAX) sessionCache.clear();
		sessionCache.set(token, { db, user: { ...user }, at });
	}
	return user;
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
		user: input.cacheSession && sessionCacheAllowed() ? await cachedSession(input.db, token, now()) : await resolveSession(input.db, token, now()),
		random: input.random ?? Math.random,
		now,
		limiter: input.limiter ?? limiterFor(input.db, input.dialect)
	};
}
