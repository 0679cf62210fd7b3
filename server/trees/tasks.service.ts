/**
 * Handing out tasks: request (with the prompt lottery, the pending-task limit and the rate
 * limits), availability, ack and nack. Submissions are in submit.service.ts.
 */
import { randomUUID } from 'node:crypto';
import { prepared } from '../db/prepared.js';
import { fail } from '../errors.js';
import { inTransaction, type ServiceEnv, type Db } from '../env.js';
import { LIMITS, type Limit } from '../users/rate-limit.js';
import { addSkipMarker } from './emoji.service.js';
import { countTreesByState } from './messages.repo.js';
import { writeJournal } from './journal.js';
import { promptLottery } from './lottery.js';
import { getTreeSettings, type TreeSettings } from './settings.js';
import { buildPayload, type TaskPayload } from './task-payloads.js';
import type { Task } from './tasks.table.js';
import { chooseTask, countWork, findWork, type Choice, type TaskRequestType, type TaskType, type WorkMessage } from './work.js';
import { loadWorkView, type HeldTask } from './work-view.js';

/** Tasks expire two days after they are handed out. */
export const TASK_TTL_MS = 2 * 86_400_000;
/** Pending tasks count toward the limit for this long. */
export const PENDING_SPAN_MS = 5 * 60_000;

/** A handed-out task as the client sees it. */
export interface TaskOut {
	id: string;
	type: TaskType;
	lang: string;
	expiryDate: string;
	payload: TaskPayload;
}

const TYPE_LIMITS: Partial<Record<TaskType, Limit>> = { assistant_reply: LIMITS.assistantReply, prompter_reply: LIMITS.prompterReply };

function probabilityOfFullLabeling(type: TaskType, s: TreeSettings): number {
	if (type === 'label_initial_prompt') return s.p_full_labeling_review_prompt;
	return type === 'label_assistant_reply' ? s.p_full_labeling_review_reply_assistant : s.p_full_labeling_review_reply_prompter;
}

/**
 * The user's open (neither answered nor skipped) tasks that are unexpired or were handed out
 * within PENDING_SPAN_MS, oldest first: a task request reads all it needs of the user's own
 * tasks from this one query (a lost task to hand out again, the pending count, the items held).
 */
const userOpenTasks = prepared(3, (db, userId: string, nowIso: string, pendingSince: string) =>
	db
		.selectFrom('task')
		.select(['id', 'type', 'lang', 'expiry_date', 'ack', 'created_date', 'parent_message_id'])
		.where('user_id', '=', userId)
		.where('done', '=', 0)
		.where('skipped', '=', 0)
		.where((eb) => eb.or([eb('expiry_date', '>', nowIso), eb('created_date', '>', pendingSince)]))
		.orderBy('created_date')
		.orderBy('id')
);

const insertTask = prepared(9, (db, id: string, type: string, payload: string, userId: string, lang: string, created: string, expiry: string, treeId: string | null, itemId: string | null) =>
	db.insertInto('task').values({ id, type, payload, user_id: userId, lang, created_date: created, expiry_date: expiry, ack: null, message_tree_id: treeId, parent_message_id: itemId })
);

const selectTask = prepared(1, (db, id: string) => db.selectFrom('task').selectAll().where('id', '=', id));
/** PostgreSQL locks the task row for the rest of the transaction (SQLite's transactions are serial anyway). */
const selectTaskForUpdate = prepared(1, (db, id: string) => db.selectFrom('task').selectAll().where('id', '=', id).forUpdate());
const ackTaskRow = prepared(2, (db, id: string, frontendMessageId: string) => db.updateTable('task').set({ ack: 1, frontend_message_id: frontendMessageId }).where('id', '=', id));

const taskPayload = prepared(1, (db, id: string) => db.selectFrom('task').select('payload').where('id', '=', id));

function itemOf(choice: Choice): { treeId: string | null; itemId: string | null } {
	if ('parent' in choice) return { treeId: choice.parent.message_tree_id, itemId: choice.parent.id };
	if ('item' in choice) return { treeId: choice.item.parent.message_tree_id, itemId: choice.item.parent.id };
	if ('message' in choice) return { treeId: choice.message.message_tree_id, itemId: choice.message.id };
	return { treeId: null, itemId: null };
}

/** Trees of `lang` growing, in initial review and waiting in the lottery. */
function countWorkTrees(db: Db, lang: string) {
	return countTreesByState(db, lang, ['growing', 'initial_prompt_review', 'prompt_lottery_waiting']);
}

/**
 * Run the prompt lottery (activating up to `maxActivate` trees), then load the user's work
 * view. The tree counts both need are read once; the lottery's activations move trees from
 * waiting to growing, which the view's lottery count then reflects.
 */
async function lotteryThenView(
	env: ServiceEnv,
	userId: string,
	lang: string,
	now: Date,
	settings: TreeSettings,
	maxActivate: number,
	read?: Awaited<ReturnType<typeof countWorkTrees>>,
	held?: readonly HeldTask[]
) {
	const counts = read ?? (await countWorkTrees(env.db, lang));
	const activated = await promptLottery(env, settings, lang, maxActivate, { growing: counts.growing, waiting: counts.prompt_lottery_waiting });
	return loadWorkView(env.db, userId, lang, now, settings, { inReview: counts.initial_prompt_review, inLottery: Math.max(0, counts.prompt_lottery_waiting - activated) }, held);
}

/** The user's open tasks (neither answered nor skipped, not expired), oldest first. */
export async function openTasks(db: Db, userId: string, now: Date, filter: { type?: TaskRequestType; lang?: string; unacked?: boolean } = {}): Promise<TaskOut[]> {
	let q = db
		.selectFrom('task')
		.select(['id', 'type', 'lang', 'expiry_date', 'payload', 'ack'])
		.where('user_id', '=', userId)
		.where('done', '=', 0)
		.where('skipped', '=', 0)
		.where('expiry_date', '>', now.toISOString());
	if (filter.type && filter.type !== 'random') q = q.where('type', '=', filter.type);
	if (filter.lang) q = q.where('lang', '=', filter.lang);
	if (filter.unacked) q = q.where('ack', 'is', null);
	const rows = await q.orderBy('created_date').orderBy('id').execute();
	return rows.map((r) => ({ id: r.id, type: r.type as TaskType, lang: r.lang, expiryDate: r.expiry_date, payload: JSON.parse(r.payload) as TaskPayload }));
}

/**
 * Hand the user a task of `type` (or `random`) in `lang`. A task handed out earlier that the
 * client never acknowledged (its answer was lost on the way: a reload, a dropped connection) is
 * handed out again under the same id before anything new is drawn: the work-view keeps the
 * items of open tasks away from their holder, so drawing anew would hide them until expiry.
 * (A prompt task has no item; a new one is as good.)
 */
export async function requestTask(env: ServiceEnv, userId: string, input: { type: TaskRequestType; lang: string }): Promise<TaskOut> {
	const now = env.now();
	if (!env.limiter.hit(LIMITS.taskRequests, userId, now.getTime())) fail('rate_limited', LIMITS.taskRequests.name);
	const nowIso = now.toISOString();
	const pendingSince = new Date(now.getTime() - PENDING_SPAN_MS).toISOString();
	// Independent reads, in parallel (on PostgreSQL they take separate connections).
	const [own, settings, counts] = await Promise.all([userOpenTasks(env.db, userId, nowIso, pendingSince), getTreeSettings(env.db), countWorkTrees(env.db, input.lang)]);
	const unexpired = own.filter((t) => t.expiry_date > nowIso);
	const lost = unexpired.find((t) => t.ack === null && t.lang === input.lang && t.type !== 'initial_prompt' && (input.type === 'random' || t.type === input.type));
	if (lost) {
		const [row] = await taskPayload(env.db, lost.id);
		if (row) return { id: lost.id, type: lost.type as TaskType, lang: lost.lang, expiryDate: lost.expiry_date, payload: JSON.parse(row.payload) as TaskPayload };
	}
	const pending = own.filter((t) => t.created_date > pendingSince).length;
	if (pending >= settings.max_pending_tasks_per_user) fail('too_many_pending');
	const view = await lotteryThenView(env, userId, input.lang, now, settings, 2, counts, unexpired);
	const work = findWork(view, settings);
	// Per-type limits: a limited type is left out of `random`, and refused when asked for.
	const limited = new Set<TaskType>();
	for (const [type, limit] of Object.entries(TYPE_LIMITS) as [TaskType, Limit][]) {
		if (!env.limiter.peek(limit, userId, now.getTime())) limited.add(type);
	}
	if (input.type !== 'random' && limited.has(input.type)) fail('rate_limited', TYPE_LIMITS[input.type]?.name);
	const choice = chooseTask(work, input.type, settings, env.random, limited);
	if (!choice) fail('no_tasks', input.type === 'random' ? undefined : input.type);
	const typeLimit = TYPE_LIMITS[choice.type];
	if (typeLimit) env.limiter.hit(typeLimit, userId, now.getTime());

	const byId = new Map(view.messages.map((m) => [m.id, m]));
	const threadTo = (id: string): WorkMessage[] => {
		const thread: WorkMessage[] = [];
		for (let m = byId.get(id); m; m = m.parent_id ? byId.get(m.parent_id) : undefined) thread.unshift(m);
		return thread;
	};
	const payload = buildPayload(choice, threadTo, env.random, env.random() < probabilityOfFullLabeling(choice.type, settings));
	const { treeId, itemId } = itemOf(choice);
	const task = {
		id: randomUUID(),
		type: choice.type,
		payload: JSON.stringify(payload),
		user_id: userId,
		lang: input.lang,
		created_date: now.toISOString(),
		expiry_date: new Date(now.getTime() + TASK_TTL_MS).toISOString(),
		ack: null,
		message_tree_id: treeId,
		parent_message_id: itemId
	};
	await insertTask(env.db, task.id, task.type, task.payload, task.user_id, task.lang, task.created_date, task.expiry_date, task.message_tree_id, task.parent_message_id);
	return { id: task.id, type: choice.type, lang: input.lang, expiryDate: task.expiry_date, payload };
}

/** Available tasks per type (and `random`: the sum) for this user in `lang`. */
export async function availability(env: ServiceEnv, userId: string, lang: string): Promise<Record<TaskRequestType, number>> {
	const settings = await getTreeSettings(env.db);
	const counts = countWork(findWork(await lotteryThenView(env, userId, lang, env.now(), settings, 1), settings));
	return { ...counts, random: Object.values(counts).reduce((s, n) => s + n, 0) };
}

/**
 * A task of this user, checked for use: it exists, is theirs, and is not expired. `done` and
 * `skipped` are left to the caller, which may replay a result.
 */
export async function ownTask(env: ServiceEnv, userId: string, taskId: string, options: { allowExpired?: boolean } = {}): Promise<Task> {
	const [task] = await (env.dialect === 'postgres' ? selectTaskForUpdate : selectTask)(env.db, taskId);
	if (!task) fail('task_not_found');
	if (task.user_id !== userId && !task.collective) fail('task_not_yours');
	if (!options.allowExpired && task.expiry_date <= env.now().toISOString() && !task.done) fail('task_expired');
	return task;
}

/** Acknowledge a task and bind the client's id for it. Repeating it is harmless. */
export async function ackTask(env: ServiceEnv, userId: string, input: { taskId: string; frontendMessageId: string }): Promise<{ ok: true }> {
	return inTransaction(env, async (tx) => {
		const task = await ownTask(tx, userId, input.taskId);
		if (task.done) fail('task_done');
		if (task.skipped) fail('task_skipped');
		if (task.ack !== 1 || task.frontend_message_id !== input.frontendMessageId) {
			await ackTaskRow(tx.db, task.id, input.frontendMessageId);
		}
		return { ok: true as const };
	});
}

const SKIP_MARKERS = { prompter_reply: '_skip_reply', assistant_reply: '_skip_reply', rank_prompter_replies: '_skip_ranking', rank_assistant_replies: '_skip_ranking' } as const;

/**
 * Skip a task with a reason. Leaves the hidden skip marker on the task's message for this user
 * (who is then not offered it again), which also feeds auto-moderation. Repeating it is harmless.
 */
export async function nackTask(env: ServiceEnv, userId: string, input: { taskId: string; reason: string }): Promise<{ ok: true }> {
	return inTransaction(env, async (tx) => {
		const task = await ownTask(tx, userId, input.taskId, { allowExpired: true });
		if (task.done) fail('task_done');
		if (task.skipped) return { ok: true as const };
		await tx.db.updateTable('task').set({ skipped: 1, ack: 0, skip_reason: input.reason }).where('id', '=', task.id).execute();
		const marker = task.type.startsWith('label_') ? '_skip_labeling' : SKIP_MARKERS[task.type as keyof typeof SKIP_MARKERS];
		if (marker && task.parent_message_id) await addSkipMarker(tx, task.parent_message_id, userId, marker);
		await writeJournal(tx.db, { type: 'task_nack', now: tx.now(), userId, messageId: task.parent_message_id, payload: { taskId: task.id, taskType: task.type, reason: input.reason } });
		return { ok: true as const };
	});
}
