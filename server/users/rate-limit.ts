/**
 * Sliding-window rate limits, kept in process memory (one Oasis process serves one
 * deployment). Each key remembers the times of its recent hits; a hit is refused when the
 * window already holds `limit` hits. Turn every limit off with OASIS_RATE_LIMITS=off (for
 * benchmarks and tests), or construct a limiter with `enabled: false`.
 */

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

/** In-memory sliding-window limiter, keyed by limit name and subject (usually a user id). */
export class RateLimiter {
	readonly enabled: boolean;
	private readonly hits = new Map<string, number[]>();

	constructor(options: { enabled?: boolean } = {}) {
		this.enabled = options.enabled ?? process.env.OASIS_RATE_LIMITS !== 'off';
	}

	/**
	 * Record a hit for `subject` under `limit` at `nowMs`. Returns false (and records nothing)
	 * when the window is full, so refused requests do not extend the wait.
	 */
	hit(limit: Limit, subject: string, nowMs: number): boolean {
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

	/** Whether a hit would be allowed now, without recording one. */
	peek(limit: Limit, subject: string, nowMs: number): boolean {
		if (!this.enabled) return true;
		const times = this.hits.get(`${limit.name}\u0000${subject}`) ?? [];
		return times.filter((t) => t > nowMs - limit.windowMs).length < limit.limit;
	}

	/** Drop keys whose hits all lie outside the longest window, so memory stays bounded. */
	private sweep(nowMs: number): void {
		const longest = Math.max(...Object.values(LIMITS).map((l) => l.windowMs));
		for (const [key, times] of this.hits) if (times.every((t) => t <= nowMs - longest)) this.hits.delete(key);
	}
}
