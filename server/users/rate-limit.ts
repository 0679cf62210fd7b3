/**
 * Sliding-window rate limits. A hit is refused when the window already holds `limit` hits of
 * the same limit and subject (usually a user id); refused hits are not recorded, so they do not
 * extend the wait. Two stores: `DatabaseRateLimiter` (the server's: rows in `rate_limit_hit`,
 * so the limits hold across every process serving one database) and `RateLimiter` (process
 * memory: tests, and a server on an in-memory SQLite database). Turn every limit off with
 * OASIS_RATE_LIMITS=off (for benchmarks and tests), or construct a limiter with `enabled: false`.
 */
import { sql } from 'kysely';
import type { Dialect } from '../db/database.js';
import { prepared } from '../db/prepared.js';
import type { Db } from '../env.js';

/** A named limit: at most `limit` hits per `windowMs`. */
export interface Limit {
	name: string;
	limit: number;
	windowMs: number;
}

/** The spec's per-user limits (upstream `backend/oasst_backend/api/v1/tasks.py`). */
export const LIMITS = {
	taskRequests: { name: 'task requests', limit: 30, windowMs: 4 * 60_000 },
	assistantReply: { name: 'assistant_reply tasks', limit: 4, windowMs: 2 * 60_000 },
	prompterReply: { name: 'prompter_reply tasks', limit: 8, windowMs: 2 * 60_000 },
	sharedConversations: { name: 'shared conversations', limit: 10, windowMs: 60 * 60_000 },
	signIn: { name: 'sign-in attempts', limit: 10, windowMs: 5 * 60_000 }
} as const satisfies Record<string, Limit>;

/** The longest window of `LIMITS`: older hits never count. */
const LONGEST_WINDOW_MS = Math.max(...Object.values(LIMITS).map((l) => l.windowMs));

const enabledByDefault = () => process.env.OASIS_RATE_LIMITS !== 'off';

/**
 * What services need of a limiter. `db` is the handle (or the transaction) the caller works
 * on: a database-backed limiter counts there, so a hit inside a transaction is part of it.
 */
export interface Limiter {
	readonly enabled: boolean;
	/** Record a hit for `subject` under `limit` at `nowMs`; false (and nothing recorded) when the window is full. */
	hit(db: Db, limit: Limit, subject: string, nowMs: number): Promise<boolean>;
	/** For each of `limits`: whether a hit would be allowed now, without recording one. */
	peek(db: Db, limits: readonly Limit[], subject: string, nowMs: number): Promise<boolean[]>;
}

/** In-memory sliding-window limiter: limits hold within this process only. */
export class RateLimiter implements Limiter {
	readonly enabled: boolean;
	private readonly hits = new Map<string, number[]>();

	constructor(options: { enabled?: boolean } = {}) {
		this.enabled = options.enabled ?? enabledByDefault();
	}

	async hit(_db: Db, limit: Limit, subject: string, nowMs: number): Promise<boolean> {
		return this.hitNow(limit, subject, nowMs);
	}

	async peek(_db: Db, limits: readonly Limit[], subject: string, nowMs: number): Promise<boolean[]> {
		return limits.map((limit) => this.peekNow(limit, subject, nowMs));
	}

	/** `hit`, synchronously. */
	hitNow(limit: Limit, subject: string, nowMs: number): boolean {
		if (!this.enabled) return true;
		const key = `${limit.name}\u0000${subject}`;
		const from = nowMs - limit.windowMs;
		const recent = (this.hits.get(key) ?? []).filter((t) => t > from);
		if (recent.length >= limit.limit) {
			this.hits.set(key, recent);
			return false;
		}
		recent.push(nowMs);
		this.hits.set(key, recent);
		if (this.hits.size > 100_000) this.sweep(nowMs);
		return true;
	}

	/** `peek` of one limit, synchronously. */
	peekNow(limit: Limit, subject: string, nowMs: number): boolean {
		if (!this.enabled) return true;
		const times = this.hits.get(`${limit.name}\u0000${subject}`) ?? [];
		return times.filter((t) => t > nowMs - limit.windowMs).length < limit.limit;
	}

	/** Drop keys whose hits all lie outside the longest window, so memory stays bounded. */
	private sweep(nowMs: number): void {
		for (const [key, times] of this.hits) if (times.every((t) => t <= nowMs - LONGEST_WINDOW_MS)) this.hits.delete(key);
	}
}

/**
 * Record a hit unless the window is full, in one statement: the row comes back when it was
 * recorded. On SQLite one writing statement holds the database's write lock from its start, so
 * the count and the insert are atomic across processes; PostgreSQL takes a transaction-scoped
 * advisory lock on the key first (see `DatabaseRateLimiter.hit`).
 */
const insertHit = prepared(5, (db, subject: string, name: string, nowMs: number, from: number, limit: number) => ({
	compile: () =>
		sql<{ hit_at: number }>`insert into rate_limit_hit (subject, name, hit_at) select ${subject}, ${name}, cast(${nowMs} as bigint) where (select count(*) from rate_limit_hit where subject = ${subject} and name = ${name} and hit_at > cast(${from} as bigint)) < cast(${limit} as bigint) returning hit_at`.compile(db)
}));

/** The subject's hits since the shortest `from` asked for, per limit name. */
const recentHits = prepared(2, (db, subject: string, from: number) =>
	db.selectFrom('rate_limit_hit').select(['name', 'hit_at']).where('subject', '=', subject).where('hit_at', '>', from)
);

const pruneHits = prepared(1, (db, before: number) => db.deleteFrom('rate_limit_hit').where('hit_at', '<=', before));

/** Hits between prunes of rows older than the longest window (per process). */
const PRUNE_EVERY = 500;

/**
 * Rate limits kept in the database (`rate_limit_hit`), so every process serving it counts
 * the same hits: a volunteer spread over several server processes gets 30 task requests per
 * 4 minutes in all, not per process.
 */
export class DatabaseRateLimiter implements Limiter {
	readonly enabled: boolean;
	private sincePrune = 0;

	constructor(
		private readonly dialect: Dialect,
		options: { enabled?: boolean } = {}
	) {
		this.enabled = options.enabled ?? enabledByDefault();
	}

	async hit(db: Db, limit: Limit, subject: string, nowMs: number): Promise<boolean> {
		if (!this.enabled) return true;
		const record = async (q: Db) => {
			// PostgreSQL reads the count before a concurrent insert commits: the key's advisory lock
			// (held to the end of the transaction) makes the hits of one key take turns.
			if (this.dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${`${limit.name}|${subject}`}))`.execute(q);
			return (await insertHit(q, subject, limit.name, nowMs, nowMs - limit.windowMs, limit.limit)).length > 0;
		};
		const allowed = this.dialect === 'postgres' && !db.isTransaction ? await db.transaction().execute(record) : await record(db);
		if (++this.sincePrune >= PRUNE_EVERY) {
			this.sincePrune = 0;
			await pruneHits(db, nowMs - LONGEST_WINDOW_MS);
		}
		return allowed;
	}

	async peek(db: Db, limits: readonly Limit[], subject: string, nowMs: number): Promise<boolean[]> {
		if (!this.enabled || limits.length === 0) return limits.map(() => true);
		const rows = await recentHits(db, subject, nowMs - Math.max(...limits.map((l) => l.windowMs)));
		return limits.map((limit) => rows.filter((r) => r.name === limit.name && Number(r.hit_at) > nowMs - limit.windowMs).length < limit.limit);
	}
}
