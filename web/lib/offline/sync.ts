/**
 * Sending the outbox. Each entry goes out under its client id; the server stores the first
 * result per id and answers a repeat with it, so a retry after a lost answer is safe and
 * each answer counts exactly once. One flush runs at a time (per tab, and across tabs where
 * the Web Locks API exists).
 */
import { isTransient, problemOf, explain, type Problem } from '../api/errors';
import type { OasisDb, OutboxItem } from './db';
import type { Transport } from './transport';

export interface FlushResult {
	sent: number;
	expired: number;
	failed: number;
	/** Entries still waiting (offline, rate-limited, signed out…). */
	pending: number;
	/** Why the flush stopped early, if it did. */
	stoppedBy: Problem | null;
}

/** Completed entries are kept this long for "recently sent", then pruned. */
export const KEEP_DONE_MS = 7 * 86_400_000;

type Outcome = { status: 'done' } | { status: 'expired' | 'failed' | 'pending'; problem: Problem };

function outcomeOf(problem: Problem): Outcome {
	if (isTransient(problem)) return { status: 'pending', problem };
	if (problem.rule === 'task_expired') return { status: 'expired', problem };
	return { status: 'failed', problem };
}

function submit(t: Transport, item: OutboxItem): Promise<unknown> {
	switch (item.kind) {
		case 'reply':
			return t.submitReply(item.input);
		case 'ranking':
			return t.submitRanking(item.input);
		case 'labels':
			return t.submitLabels(item.input);
		case 'nack':
			return t.nack(item.input);
	}
}

async function sendOne(db: OasisDb, t: Transport, item: OutboxItem): Promise<Outcome> {
	if (!item.acked && item.kind !== 'nack') {
		try {
			await t.ack({ taskId: item.taskId, frontendMessageId: item.clientId });
		} catch (error) {
			const problem = problemOf(error);
			// Done already: an earlier try got through but its answer was lost; the submit replays it.
			if (problem.rule !== 'task_done') return outcomeOf(problem);
		}
		await db.outbox.update(item.clientId, { acked: true });
	}
	try {
		await submit(t, item);
		return { status: 'done' };
	} catch (error) {
		const problem = problemOf(error);
		if (problem.rule === 'task_not_acked') await db.outbox.update(item.clientId, { acked: false });
		return outcomeOf(problem);
	}
}

async function record(db: OasisDb, item: OutboxItem, outcome: Outcome, now: number): Promise<void> {
	await db.transaction('rw', db.outbox, db.stock, db.drafts, async () => {
		if (outcome.status === 'done') {
			await db.outbox.update(item.clientId, { status: 'done', lastError: null, rule: null, attempts: item.attempts + 1, updatedAt: now });
			await db.stock.delete(item.taskId);
			await db.drafts.delete(item.taskId);
			return;
		}
		const { message, next } = explain(outcome.problem);
		await db.outbox.update(item.clientId, {
			status: outcome.status,
			attempts: item.attempts + 1,
			lastError: `${message} ${next}`,
			rule: outcome.problem.rule,
			updatedAt: now
		});
		// An expired task can take no answer: the entry (with the text) is what the user sees.
		if (outcome.status === 'expired') {
			await db.stock.delete(item.taskId);
			await db.drafts.delete(item.taskId);
		}
	});
}

/**
 * Send every pending entry of `userId` (the signed-in user: the session decides whose task it
 * is), oldest first. Stops at the first network failure or rate limit.
 */
export async function flushOutbox(db: OasisDb, t: Transport, userId: string, now: () => number = Date.now): Promise<FlushResult> {
	const result: FlushResult = { sent: 0, expired: 0, failed: 0, pending: 0, stoppedBy: null };
	const items = (await db.outbox.where('status').equals('pending').sortBy('createdAt')).filter((i) => i.userId === userId);
	for (const [index, queued] of items.entries()) {
		const item = await db.outbox.get(queued.clientId); // it may have changed since the list was read
		if (!item || item.status !== 'pending') continue;
		const outcome = await sendOne(db, t, item);
		await record(db, item, outcome, now());
		if (outcome.status === 'done') result.sent++;
		else if (outcome.status === 'expired') result.expired++;
		else if (outcome.status === 'failed') result.failed++;
		else {
			result.stoppedBy = outcome.problem;
			result.pending = items.length - index;
			break;
		}
	}
	await db.outbox
		.where('status')
		.equals('done')
		.and((i) => i.updatedAt < now() - KEEP_DONE_MS)
		.delete();
	return result;
}

/**
 * Serialises flushes: a call while one runs waits for it and then runs once more (so entries
 * added meanwhile go too); calls made while one is already queued share it.
 */
export class Flusher {
	#running: Promise<FlushResult> | null = null;
	#queued: Promise<FlushResult> | null = null;

	constructor(private readonly run: () => Promise<FlushResult>) {}

	flush(): Promise<FlushResult> {
		if (!this.#running) return this.#start();
		this.#queued ??= this.#running.catch(() => undefined).then(() => {
			this.#queued = null;
			return this.#start();
		});
		return this.#queued;
	}

	#start(): Promise<FlushResult> {
		const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
		const run = locks ? () => locks.request('oasis-outbox', () => this.run()) : this.run;
		this.#running = run().finally(() => (this.#running = null));
		return this.#running;
	}
}
