import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { TRPCClientError } from '@trpc/client';
import { OasisDb, type StockedTask } from './db';
import { enqueue, dismiss, fetchTask, itemKey, openTasks, pruneStock, refillStock, stockedTask } from './stock';
import { Flusher, flushOutbox, type FlushResult } from './sync';
import type { Transport } from './transport';
import type { TaskOut } from '../api/types';

const USER = 'u1';

function ruleError(rule: string, code = 'BAD_REQUEST'): TRPCClientError<never> {
	const e = new TRPCClientError<never>(rule);
	(e as unknown as { data: unknown }).data = { code, rule };
	return e;
}
const networkError = () => new TRPCClientError<never>('Failed to fetch', { cause: new TypeError('Failed to fetch') });

function labelTask(id: string, messageId = `m-${id}`, expiry = Date.now() + 86_400_000): TaskOut {
	return {
		id,
		type: 'label_initial_prompt',
		lang: 'en',
		expiryDate: new Date(expiry).toISOString(),
		payload: {
			type: 'label_initial_prompt',
			messageId,
			conversation: { messages: [] },
			validLabels: ['spam'],
			mandatoryLabels: ['spam'],
			mode: 'simple',
			disposition: 'quality',
			labels: [{ name: 'spam', widget: 'yes_no', displayText: 'Spam?', helpText: '' }]
		}
	} as TaskOut;
}

function stocked(task: TaskOut, over: Partial<StockedTask> = {}): StockedTask {
	return { ...task, userId: USER, clientId: `c-${task.id}`, acked: true, storedAt: Date.now(), ...over };
}

/** A fake server that dedupes by client id, as the real one does. */
function fakeServer() {
	const done = new Map<string, string>(); // taskId → clientId
	const calls: string[] = [];
	let offline = false;
	let expired = new Set<string>();
	const queue: TaskOut[] = [];
	const submitted = (input: { taskId: string; clientId: string }) => {
		calls.push(`submit:${input.taskId}`);
		if (offline) throw networkError();
		if (expired.has(input.taskId)) throw ruleError('task_expired', 'PRECONDITION_FAILED');
		const prior = done.get(input.taskId);
		if (prior && prior !== input.clientId) throw ruleError('task_done', 'CONFLICT');
		done.set(input.taskId, input.clientId);
		return Promise.resolve({ type: 'task_done', taskId: input.taskId });
	};
	const transport: Transport = {
		request: async () => {
			if (offline) throw networkError();
			const next = queue.shift();
			if (!next) throw ruleError('no_tasks', 'NOT_FOUND');
			return next;
		},
		availability: async () => ({ label_initial_prompt: queue.length }) as never,
		ack: async (input) => {
			calls.push(`ack:${input.taskId}`);
			if (offline) throw networkError();
			if (done.has(input.taskId)) throw ruleError('task_done', 'CONFLICT');
		},
		nack: async (input) => {
			calls.push(`nack:${input.taskId}`);
			if (offline) throw networkError();
		},
		submitReply: async (input) => submitted(input),
		submitRanking: async (input) => submitted(input),
		submitLabels: async (input) => submitted(input)
	};
	return {
		transport,
		done,
		calls,
		queue,
		setOffline: (v: boolean) => (offline = v),
		expire: (id: string) => (expired = new Set([...expired, id]))
	};
}

let db: OasisDb;
beforeEach(() => {
	db = new OasisDb(`oasis-test-${Math.random()}`, { indexedDB: new IDBFactory(), IDBKeyRange });
});
afterEach(async () => {
	db.close();
});

async function answer(task: StockedTask) {
	const p = task.payload as { messageId: string };
	return enqueue(db, task, { kind: 'labels', input: { taskId: task.id, clientId: task.clientId, messageId: p.messageId, labels: { spam: 0 } } }, 'spam: no');
}

describe('outbox sync', () => {
	it('queues answers offline and sends each exactly once when back online', async () => {
		const server = fakeServer();
		server.setOffline(true);
		const tasks = ['t1', 't2', 't3'].map((id) => stocked(labelTask(id)));
		await db.stock.bulkPut(tasks);
		for (const t of tasks) await answer(t);

		const offline = await flushOutbox(db, server.transport, USER);
		expect(offline.sent).toBe(0);
		expect(offline.stoppedBy?.network).toBe(true);
		expect((await db.outbox.get('c-t1'))?.attempts).toBe(1);
		expect(await db.outbox.where('status').equals('pending').count()).toBe(3);

		server.setOffline(false);
		const online = await flushOutbox(db, server.transport, USER);
		expect(online).toMatchObject({ sent: 3, failed: 0, expired: 0, stoppedBy: null });
		expect([...server.done.keys()].sort()).toEqual(['t1', 't2', 't3']);
		expect(await db.stock.count()).toBe(0);

		// A later flush sends nothing again.
		const calls = server.calls.length;
		expect((await flushOutbox(db, server.transport, USER)).sent).toBe(0);
		expect(server.calls.length).toBe(calls);
	});

	it('a retry after a lost answer is accepted as the same submission', async () => {
		const server = fakeServer();
		const task = stocked(labelTask('t1'), { acked: false });
		await db.stock.put(task);
		await answer(task);
		// The server got it, but the answer was lost on the way back.
		server.done.set('t1', task.clientId);
		const result = await flushOutbox(db, server.transport, USER);
		expect(result.sent).toBe(1);
		expect((await db.outbox.get(task.clientId))?.status).toBe('done');
	});

	it('marks an answer whose task expired as expired, keeps it and its text for the user', async () => {
		const server = fakeServer();
		const task = stocked(labelTask('t1'));
		await db.stock.put(task);
		await enqueue(db, task, { kind: 'reply', input: { taskId: 't1', clientId: task.clientId, text: 'my long answer' } }, 'my long answer');
		await db.drafts.put({ taskId: 't1', text: 'my long answer', updatedAt: 1 });
		server.expire('t1');
		const result = await flushOutbox(db, server.transport, USER);
		expect(result.expired).toBe(1);
		const item = await db.outbox.get(task.clientId);
		expect(item?.status).toBe('expired');
		expect(item?.lastError).toMatch(/expired/);
		expect(item?.kind === 'reply' && item.input.text).toBe('my long answer');
		// Not offered again, and gone only when the user dismisses it.
		expect(await openTasks(db, USER)).toEqual([]);
		await dismiss(db, task.clientId);
		expect(await db.outbox.count()).toBe(0);
	});

	it('keeps a refused answer as failed with the reason, and a fixed retry replaces it', async () => {
		const server = fakeServer();
		const task = stocked(labelTask('t1'));
		await db.stock.put(task);
		await answer(task);
		server.transport.submitLabels = async () => {
			throw ruleError('invalid_labels');
		};
		expect((await flushOutbox(db, server.transport, USER)).failed).toBe(1);
		const failed = await db.outbox.get(task.clientId);
		expect(failed?.status).toBe('failed');
		expect(failed?.rule).toBe('invalid_labels');
		// A failed task is still open for a corrected answer.
		expect((await stockedTask(db, USER, 'label_initial_prompt'))?.id).toBe('t1');
		await answer(task);
		expect((await db.outbox.get(task.clientId))?.status).toBe('pending');
	});

	it('sends only the signed-in user’s entries', async () => {
		const server = fakeServer();
		const mine = stocked(labelTask('t1'));
		const theirs = stocked(labelTask('t2'), { userId: 'u2', clientId: 'c-x' });
		await answer(mine);
		await answer(theirs);
		expect((await flushOutbox(db, server.transport, USER)).sent).toBe(1);
		expect((await db.outbox.get('c-x'))?.status).toBe('pending');
	});

	it('runs one flush at a time and coalesces calls made meanwhile', async () => {
		let runs = 0;
		let release!: () => void;
		const empty: FlushResult = { sent: 0, expired: 0, failed: 0, pending: 0, stoppedBy: null };
		const flusher = new Flusher(async () => {
			runs++;
			if (runs === 1) await new Promise<void>((r) => (release = r));
			return empty;
		});
		const first = flusher.flush();
		const second = flusher.flush();
		const third = flusher.flush();
		expect(second).toBe(third);
		release();
		await Promise.all([first, second]);
		expect(runs).toBe(2);
	});
});

describe('task stock', () => {
	it('fills up to the target, skipping duplicates of stocked items', async () => {
		const server = fakeServer();
		server.queue.push(labelTask('a', 'm1'), labelTask('b', 'm1'), labelTask('c', 'm2'));
		const result = await refillStock(db, server.transport, USER, 'en', 2);
		expect(result.added).toBe(2);
		const open = await openTasks(db, USER);
		expect(open.map((t) => t.id)).toEqual(['a', 'c']);
		expect(open.every((t) => t.acked)).toBe(true);
		expect(server.calls).toContain('nack:b');
		expect(new Set(open.map(itemKey)).size).toBe(2);
	});

	it('a task handed out again (its ack was lost) keeps its client id and is stocked once', async () => {
		const server = fakeServer();
		const task = labelTask('a', 'm1');
		server.queue.push(task);
		server.setOffline(false);
		const ack = server.transport.ack;
		server.transport.ack = async () => {
			throw networkError();
		};
		const first = await fetchTask(db, server.transport, USER, 'label_initial_prompt', 'en');
		expect(first.acked).toBe(false);
		server.transport.ack = ack;
		server.queue.push(task); // the server hands the unacked task out again
		const again = await fetchTask(db, server.transport, USER, 'label_initial_prompt', 'en');
		expect(again.clientId).toBe(first.clientId);
		expect(again.acked).toBe(true);
		expect(server.calls).toContain(`ack:a`);
		server.queue.push(task, labelTask('b', 'm2'));
		// A refill that meets it again stops asking for that type rather than nacking the stocked task.
		const result = await refillStock(db, server.transport, USER, 'en', 3);
		expect(result.added).toBe(0);
		expect(server.calls).not.toContain('nack:a');
		expect((await openTasks(db, USER)).map((t) => t.id)).toEqual(['a']);
	});

	it('leaves out answered and expired tasks', async () => {
		const a = stocked(labelTask('a'));
		const old = stocked(labelTask('b', 'mb', Date.now() - 1000));
		await db.stock.bulkPut([a, old, stocked(labelTask('c'))]);
		await answer(a);
		expect((await openTasks(db, USER)).map((t) => t.id)).toEqual(['c']);
		// The expired, unanswered one is pruned; the answered one stays with its outbox entry.
		expect(await pruneStock(db, USER)).toBe(1);
		expect((await db.stock.toArray()).map((t) => t.id).sort()).toEqual(['a', 'c']);
	});
});
