/**
 * Test harness: callers of the app router for signed-in users (through real sessions and the
 * cookie), a movable clock, seeded randomness and rate limits off unless asked for.
 */
import type { OpenDatabase } from '../db/database.js';
import { createContext } from '../context.js';
import { appRouter } from '../router.js';
import { createCallerFactory, CSRF_HEADER } from '../trpc.js';
import type { ServiceEnv } from '../env.js';
import { DatabaseRateLimiter, RateLimiter } from '../users/rate-limit.js';
import type { Role } from '../users/users.table.js';
import { SESSION_COOKIE } from '../users/cookies.js';
import { seededRandom } from './random.js';

const createCaller = createCallerFactory(appRouter);
export type Caller = ReturnType<typeof createCaller>;

export interface Harness {
	env: ServiceEnv;
	/** The clock, in ms since the epoch; tests move it. */
	clock: { ms: number };
	/** A caller with this session token (or anonymous), with the CSRF header unless `csrf: false`. */
	caller(token?: string, options?: { csrf?: boolean }): Promise<Caller>;
	/**
	 * Create (or reuse) a user by name through `auth.devLogin` (switched on for tests) and
	 * return their caller, signed in with the session cookie the procedure set.
	 */
	user(name: string, role?: Role): Promise<{ id: string; token: string; caller: Caller }>;
}

export function harness(opened: OpenDatabase, options: { seed?: number; rateLimits?: boolean; start?: string } = {}): Harness {
	const clock = { ms: Date.parse(options.start ?? '2026-01-01T00:00:00.000Z') };
	const env: ServiceEnv = {
		db: opened.db,
		dialect: opened.dialect,
		now: () => new Date(clock.ms),
		random: seededRandom(options.seed ?? 1),
		// The server's limiter (in the database) when asked for; none otherwise.
		limiter: options.rateLimits ? new DatabaseRateLimiter(opened.dialect, { enabled: true }) : new RateLimiter({ enabled: false })
	};
	const context = async (token?: string, o: { csrf?: boolean } = {}, resHeaders = new Headers()) => {
		const headers = new Headers();
		if (token) headers.set('cookie', `${SESSION_COOKIE}=${token}`);
		if (o.csrf ?? true) headers.set(CSRF_HEADER, '1');
		return createContext({ db: env.db, dialect: env.dialect, headers, resHeaders, random: env.random, now: env.now, limiter: env.limiter });
	};
	const caller = async (token?: string, o: { csrf?: boolean } = {}) => createCaller(await context(token, o));
	return {
		env,
		clock,
		caller,
		async user(name, role) {
			process.env.OASIS_DEV_LOGIN = '1';
			const resHeaders = new Headers();
			const signed = await createCaller(await context(undefined, {}, resHeaders)).auth.devLogin({ name, role });
			const token = decodeURIComponent(/oasis_session=([^;]*)/.exec(resHeaders.get('set-cookie') ?? '')?.[1] ?? '');
			return { id: signed.user.id, token, caller: await caller(token) };
		}
	};
}

/** The `rule` of a rejected call (from the DomainError cause), for `expect(...).rejects`. */
export async function ruleOf(promise: Promise<unknown>): Promise<string | null> {
	try {
		await promise;
		return null;
	} catch (error) {
		const cause = (error as { cause?: { rule?: string } }).cause;
		return cause?.rule ?? `untyped: ${(error as Error).message}`;
	}
}
