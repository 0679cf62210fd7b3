/**
 * The task stock: tasks fetched while online and kept on the device, so a volunteer can rank
 * and label with no network. Fetched tasks are acked at once with their client id, so the
 * answer needs only one request when it is sent.
 */
import { problemOf, type Problem } from '../api/errors';
import { STOCK_TYPES, type TaskKind, type TaskOut, type TaskType } from '../api/types';
import type { OasisDb, OutboxItem, StockedTask, Submission } from './db';
import type { Transport } from './transport';

/** How many tasks the stock aims for (the server allows 8 open tasks per 5 minutes). */
export const STOCK_TARGET = 5;

/** The message a task is about: two tasks on one item must not both sit in the stock. */
export function itemKey(task: TaskOut): string {
	const p = task.payload;
	switch (p.type) {
		case 'initial_prompt':
			return `prompt:${task.id}`;
		case 'prompter_reply':
		case 'assistant_reply':
			return `reply:${p.parentId}`;
		case 'rank_prompter_replies':
		case 'rank_assistant_replies':
			return `rank:${p.rankingParentId}`;
		default:
			return `label:${p.messageId}`;
	}
}

function newId(): string {
	return crypto.randomUUID();
}

/** Stocked tasks of `userId` that are unanswered and unexpired, oldest first. */
export async function openTasks(db: OasisDb, userId: string, now = Date.now()): Promise<StockedTask[]> {
	const tasks = await db.stock.where('userId').equals(userId).sortBy('storedAt');
	const answered = new Set((await db.outbox.where('userId').equals(userId).toArray()).filter((i) => i.status !== 'failed').map((i) => i.taskId));
	return tasks.filter((t) => !answered.has(t.id) && Date.parse(t.expiryDate) > now);
}

/** Drop stocked tasks that expired unanswered (answered ones stay with their outbox entry). */
export async function pruneStock(db: OasisDb, userId: string, now = Date.now()): Promise<number> {
	const answered = new Set((await db.outbox.where('userId').equals(userId).toArray()).map((i) => i.taskId));
	const stale = (await db.stock.where('userId').equals(userId).toArray()).filter((t) => Date.parse(t.expiryDate) <= now && !answered.has(t.id));
	await db.stock.bulkDelete(stale.map((t) => t.id));
	await db.drafts.bulkDelete(stale.map((t) => t.id));
	return stale.length;
}

/** A stocked task that fits `kind`, if any. */
export async function stockedTask(db: OasisDb, userId: string, kind: TaskKind, now = Date.now()): Promise<StockedTask | undefined> {
	return (await openTasks(db, userId, now)).find((t) => kind === 'random' || t.type === kind);
}

/**
 * Request a task from the server, keep it in the stock and ack it. The server hands an unacked
 * task out again under the same id (its first answer may have been lost): one already in the
 * stock keeps its client id, so an answer queued for it still matches.
 */
export async function fetchTask(db: OasisDb, t: Transport, userId: string, kind: TaskKind, lang: string): Promise<StockedTask> {
	const task = await t.request({ type: kind, lang });
	const known = await db.stock.get(task.id);
	if (known?.acked) return known;
	const stocked: StockedTask = known ?? { ...task, userId, clientId: newId(), acked: false, storedAt: Date.now() };
	if (!known) await db.stock.put(stocked);
	try {
		await t.ack({ taskId: task.id, frontendMessageId: stocked.clientId });
		stocked.acked = true;
		await db.stock.update(task.id, { acked: true });
	} catch {
		// The outbox acks it before sending the answer.
	}
	return stocked;
}

/**
 * Top the stock up to `target` ranking and labelling tasks, by type where work is available.
 * The server may hand out the same item twice while the first task is open; such a duplicate
 * is skipped at once (which also keeps the item out of later draws) and not stocked.
 */
export async function refillStock(db: OasisDb, t: Transport, userId: string, lang: string, target = STOCK_TARGET): Promise<{ added: number; problem: Problem | null }> {
	await pruneStock(db, userId);
	let open = (await openTasks(db, userId)).filter((x) => (STOCK_TYPES as readonly TaskType[]).includes(x.type));
	let added = 0;
	let available: Record<string, number>;
	try {
		available = await t.availability(lang);
	} catch (error) {
		return { added, problem: problemOf(error) };
	}
	const types: TaskType[] = STOCK_TYPES.filter((type) => (available[type] ?? 0) > 0);
	let turn = 0;
	for (let tries = 0; open.length < target && types.length > 0 && tries < target * 2; tries++) {
		const type = types[turn++ % types.length];
		let task: StockedTask;
		try {
			task = await fetchTask(db, t, userId, type, lang);
		} catch (error) {
			const problem = problemOf(error);
			if (problem.rule === 'no_tasks') {
				types.splice(types.indexOf(type), 1);
				continue;
			}
			return { added, problem };
		}
		if (open.some((x) => x.id === task.id)) {
			// Handed out again: it was in the stock already (unacked), so this type has nothing new.
			types.splice(types.indexOf(type), 1);
			continue;
		}
		const key = itemKey(task);
		if (open.some((x) => itemKey(x) === key)) {
			await db.stock.delete(task.id);
			await t.nack({ taskId: task.id, reason: 'duplicate of a task already in the offline stock' }).catch(() => undefined);
			continue;
		}
		open = [...open, task];
		added++;
	}
	return { added, problem: null };
}

/** Put an answer in the outbox (replacing a refused earlier try for the same task). */
export async function enqueue(db: OasisDb, task: StockedTask, submission: Submission, summary: string): Promise<OutboxItem> {
	const now = Date.now();
	const item = {
		...submission,
		clientId: task.clientId,
		taskId: task.id,
		taskType: task.type,
		userId: task.userId,
		acked: task.acked,
		status: 'pending',
		attempts: 0,
		lastError: null,
		rule: null,
		summary: summary.slice(0, 160),
		createdAt: now,
		updatedAt: now
	} as OutboxItem;
	await db.outbox.put(item);
	return item;
}

/** Forget an expired or refused entry, with its task and draft. */
export async function dismiss(db: OasisDb, clientId: string): Promise<void> {
	await db.transaction('rw', db.outbox, db.stock, db.drafts, async () => {
		const item = await db.outbox.get(clientId);
		await db.outbox.delete(clientId);
		if (item) {
			await db.stock.delete(item.taskId);
			await db.drafts.delete(item.taskId);
		}
	});
}
