/**
 * Handing out tasks: request (with the prompt lottery, the pending-task limit and the rate
 * limits), availability, ack and nack. Submissions are in submit.service.ts.
 */
import { randomUUID } from 'node:crypto';
import { prepared, unindexed } from '../db/prepared.js';
import { fail, type RuleCode } from '../errors.js';
import { inTransaction, type ServiceEnv, type Db } from '../env.js';
import { LIMITS, type Limit } from '../users/rate-limit.js';
import { addSkipMarker } from './emoji.service.js';
import { countTreesByState, lockMessage, lockTreeState } from './messages.repo.js';
import { childCap, isLive } from './tree-analysis.js';
import type { Message, MessageRole } from './trees.table.js';
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
/** The per-type limits with their types, in one list (peeked together). */
const TYPE_LIMITED = (Object.entries(TYPE_LIMITS) as [TaskType, Limit][]).map(([type, limit]) => ({ ...limit, type }));

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
		.where(unindexed('done'), '=', 0)
		.where(unindexed('skipped'), '=', 0)
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

/** Acknowledge a task of `userId` (or a collective one) that is open and unexpired; returns it when it did. */
const ackOpenTask = prepared(4, (db, id: string, userId: string, frontendMessageId: string, nowIso: string) =>
	db
		.updateTable('task')
		.set({ ack: 1, frontend_message_id: frontendMessageId })
		.where('id', '=', id)
		.where((eb) => eb.or([eb('user_id', '=', userId), eb('collective', '=', 1)]))
		.where('done', '=', 0)
		.where('skipped', '=', 0)
		.where('expiry_date', '>', nowIso)
		.returning('id')
);

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
		.where(unindexed('done'), '=', 0)
		.where(unindexed('skipped'), '=', 0)
		.where('expiry_date', '>', now.toISOString());
	if (filter.type && filter.type !== 'random') q = q.where('type', '=', filter.type);
	if (filter.lang) q = q.where('lang', '=', filter.lang);
	if (filter.unacked) q = q.where('ack', 'is', null);
	const rows = await q.orderBy('created_date').orderBy('id').execute();
	return rows.map((r) => ({ id: r.id, type: r.type as TaskType, lang: r.lang, expiryDate: r.expiry_date, payload: JSON.parse(r.payload) as TaskPayload }));
}

/** Draws in one task request when the item drawn was claimed by a concurrent request meanwhile. */
const CLAIM_ATTEMPTS = 3;

/**
 * Hand the user a task of `type` (or `random`) in `lang`. A task handed out earlier that the
 * client never acknowledged (its answer was lost on the way: a reload, a dropped connection) is
 * handed out again under the same id before anything new is drawn: the work-view keeps the
 * items of open tasks away from their holder, so drawing anew would hide them until expiry.
 * (A prompt task has no item; a new one is as good.)
 *
 * The draw reads outside any transaction; the new task is then claimed in a short one that
 * checks again what a concurrent request (in this process or another one serving the same
 * database) may have changed meanwhile: the pending-task limit, the reply parent handed to
 * someone else, the item this user was just handed, the per-type rate limit. A lost item is
 * drawn again, up to CLAIM_ATTEMPTS times.
 *
 * Every request that is not refused by the task-request rate limit counts toward it, whatever
 * else it is refused for. The draw only peeks at the limit; the hit is recorded in the claim's
 * transaction (saving a commit per task), or on its own when the request ends otherwise.
 */
export async function requestTask(env: ServiceEnv, userId: string, input: { type: TaskRequestType; lang: string }): Promise<TaskOut> {
	const now = env.now();
	let counted = false;
	const count = async () => {
		counted = true;
		if (!(await env.limiter.hit(env.db, LIMITS.taskRequests, userId, now.getTime()))) fail('rate_limited', LIMITS.taskRequests.name);
	};
	try {
		for (let attempt = 1; ; attempt++) {
			const drawn = await drawTask(env, userId, input, now);
			if ('full' in drawn) {
				counted = true; // refused by the limit itself: not a hit
				fail('rate_limited', LIMITS.taskRequests.name);
			}
			if ('handedOut' in drawn) {
				await count();
				return drawn.handedOut;
			}
			const claimed = await claimTask(env, drawn.task, drawn.settings, now, !counted);
			if (claimed === 'limited') {
				counted = true;
				fail('rate_limited', LIMITS.taskRequests.name);
			}
			counted = true; // the claim's transaction recorded the hit, whatever it decided
			if (claimed === 'ok') return { id: drawn.task.id, type: drawn.task.type, lang: input.lang, expiryDate: drawn.task.expiry_date, payload: drawn.payload };
			if (claimed === 'pending') fail('too_many_pending');
			if (attempt >= CLAIM_ATTEMPTS) fail('no_tasks', input.type === 'random' ? undefined : input.type);
		}
	} catch (error) {
		if (!counted) await count();
		throw error;
	}
}

/** A new task row, drawn but not yet stored. */
export interface DrawnTask {
	id: string;
	type: TaskType;
	payload: string;
	user_id: string;
	lang: string;
	created_date: string;
	expiry_date: string;
	message_tree_id: string | null;
	parent_message_id: string | null;
}

/** The read side of a task request: a lost task to hand out again, or a new task drawn from the work view. */
async function drawTask(
	env: ServiceEnv,
	userId: string,
	input: { type: TaskRequestType; lang: string },
	now: Date
): Promise<{ full: true } | { handedOut: TaskOut } | { task: DrawnTask; payload: TaskPayload; settings: TreeSettings }> {
	const nowIso = now.toISOString();
	const pendingSince = new Date(now.getTime() - PENDING_SPAN_MS).toISOString();
	// Independent reads, in parallel (on PostgreSQL they take separate connections).
	const [own, settings, counts, [requestsAllowed, ...typeLimits]] = await Promise.all([
		userOpenTasks(env.db, userId, nowIso, pendingSince),
		getTreeSettings(env.db),
		countWorkTrees(env.db, input.lang),
		env.limiter.peek(env.db, [LIMITS.taskRequests, ...TYPE_LIMITED], userId, now.getTime())
	]);
	if (!requestsAllowed) return { full: true };
	const unexpired = own.filter((t) => t.expiry_date > nowIso);
	const lost = unexpired.find((t) => t.ack === null && t.lang === input.lang && t.type !== 'initial_prompt' && (input.type === 'random' || t.type === input.type));
	if (lost) {
		const [row] = await taskPayload(env.db, lost.id);
		if (row) return { handedOut: { id: lost.id, type: lost.type as TaskType, lang: lost.lang, expiryDate: lost.expiry_date, payload: JSON.parse(row.payload) as TaskPayload } };
	}
	const pending = own.filter((t) => t.created_date > pendingSince).length;
	if (pending >= settings.max_pending_tasks_per_user) fail('too_many_pending');
	const view = await lotteryThenView(env, userId, input.lang, now, settings, 2, counts, unexpired);
	const work = findWork(view, settings);
	// Per-type limits: a limited type is left out of `random`, and refused when asked for.
	const limited = new Set<TaskType>(TYPE_LIMITED.flatMap((limit, i) => (typeLimits[i] ? [] : [limit.type])));
	if (input.type !== 'random' && limited.has(input.type)) fail('rate_limited', TYPE_LIMITS[input.type]?.name);
	const choice = chooseTask(work, input.type, settings, env.random, limited);
	if (!choice) fail('no_tasks', input.type === 'random' ? undefined : input.type);

	// The item's tree: every message a payload shows lies in it.
	const item = choice.type === 'initial_prompt' ? null : 'parent' in choice ? choice.parent : 'item' in choice ? choice.item.parent : choice.message;
	const byId = new Map((item ? (view.messagesByTree.get(item.message_tree_id) ?? []) : []).map((m) => [m.id, m]));
	const threadTo = (id: string): WorkMessage[] => {
		const thread: WorkMessage[] = [];
		for (let m = byId.get(id); m; m = m.parent_id ? byId.get(m.parent_id) : undefined) thread.unshift(m);
		return thread;
	};
	const payload = buildPayload(choice, threadTo, env.random, env.random() < probabilityOfFullLabeling(choice.type, settings));
	const { treeId, itemId } = itemOf(choice);
	const task: DrawnTask = {
		id: randomUUID(),
		type: choice.type,
		payload: JSON.stringify(payload),
		user_id: userId,
		lang: input.lang,
		created_date: nowIso,
		expiry_date: new Date(now.getTime() + TASK_TTL_MS).toISOString(),
		message_tree_id: treeId,
		parent_message_id: itemId
	};
	return { task, payload, settings };
}

/**
 * PostgreSQL: the user's row, locked so that one user's task requests take turns (SQLite's write
 * transactions are serial). NO KEY UPDATE, as the activity update of a submission takes it, so
 * foreign-key checks on the user are not held up.
 */
const lockUser = prepared(1, (db, userId: string) => db.selectFrom('user').select('id').where('id', '=', userId).forNoKeyUpdate());
/** Open tasks of the user handed out since `since`: the pending-task count. */
const pendingCount = prepared(2, (db, userId: string, since: string) =>
	db.selectFrom('task').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).where(unindexed('done'), '=', 0).where(unindexed('skipped'), '=', 0).where('created_date', '>', since)
);
/** An open reply task on `parentId` handed out since `since`, anyone's (work-view's `recentReplyParents`). */
const openReplyTaskOn = prepared(2, (db, parentId: string, since: string) =>
	db
		.selectFrom('task')
		.select('id')
		.where('parent_message_id', '=', parentId)
		.where('type', 'in', ['prompter_reply', 'assistant_reply'])
		.where('created_date', '>', since)
		.where(unindexed('done'), '=', 0)
		.where(unindexed('skipped'), '=', 0)
		.limit(1)
);
/** An open, unexpired task of the user on `itemId` (work-view's held items). */
const heldTaskOn = prepared(3, (db, userId: string, itemId: string, nowIso: string) =>
	db.selectFrom('task').select('id').where('user_id', '=', userId).where('parent_message_id', '=', itemId).where(unindexed('done'), '=', 0).where(unindexed('skipped'), '=', 0).where('expiry_date', '>', nowIso).limit(1)
);

const repliesTo = prepared(1, (db, parentId: string) => db.selectFrom('message').select(['user_id', 'deleted', 'review_result']).where('parent_id', '=', parentId));

/**
 * The rule that would refuse a `role` reply by `userId` to `parent` now, or null: the parent is
 * there, live and accepted, of the other role and above the tree's depth limit; its tree is
 * growing (its state row locked on PostgreSQL); the user has not replied to it yet; and it has
 * room for one more live child. submitReply fails with it, and a claim hands out no reply task
 * that it would refuse.
 */
export async function replyRefusal(tx: ServiceEnv, parent: Message | undefined, userId: string, role: MessageRole, settings: TreeSettings): Promise<RuleCode | null> {
	if (!parent) return 'message_not_found';
	if (parent.deleted) return 'parent_deleted';
	const tree = await lockTreeState(tx.db, tx.dialect, parent.message_tree_id);
	if (!tree || tree.state !== 'growing' || !tree.active) return 'tree_not_growing';
	if (parent.review_result !== 1) return 'parent_not_accepted';
	if (parent.role === role) return 'role_alternation';
	if (parent.depth >= tree.max_depth) return 'max_depth';
	const siblings = await repliesTo(tx.db, parent.id);
	if (siblings.some((m) => m.user_id === userId)) return 'already_replied';
	if (siblings.filter(isLive).length >= childCap(parent, tree, settings)) return 'max_children';
	return null;
}

/**
 * Store a drawn task unless a concurrent request got in first: `limited` when the task-request
 * limit filled meanwhile (then nothing is recorded), `pending` when the user reached the
 * pending-task limit meanwhile, `taken` when the item went to someone (or to this user)
 * meanwhile, a reply would no longer be accepted (`replyRefusal`), or the type's rate limit filled. With `countRequest`, the request's hit on the
 * task-request limit is recorded first (and stays, whatever the outcome but `limited`). One short
 * write transaction: on SQLite it holds the write lock (BEGIN IMMEDIATE, database.ts), on
 * PostgreSQL the reply parent's tree and row (for a reply) and the user's row are locked.
 */
export async function claimTask(env: ServiceEnv, task: DrawnTask, settings: TreeSettings, now: Date, countRequest: boolean): Promise<'ok' | 'limited' | 'pending' | 'taken'> {
	return inTransaction(env, async (tx) => {
		const reply = task.type === 'prompter_reply' || task.type === 'assistant_reply';
		// In the order every transaction locks on PostgreSQL (task → tree → message → user: a
		// submission updates its author's activity last), so a request and a submission never deadlock.
		const parent = reply && task.parent_message_id ? await lockMessage(tx.db, tx.dialect, task.parent_message_id) : undefined;
		if (tx.dialect === 'postgres') await lockUser(tx.db, task.user_id);
		if (countRequest && !(await tx.limiter.hit(tx.db, LIMITS.taskRequests, task.user_id, now.getTime()))) return 'limited';
		const [pending] = await pendingCount(tx.db, task.user_id, new Date(now.getTime() - PENDING_SPAN_MS).toISOString());
		if (Number(pending?.n ?? 0) >= settings.max_pending_tasks_per_user) return 'pending';
		if (task.parent_message_id) {
			const other = reply
				? await openReplyTaskOn(tx.db, task.parent_message_id, new Date(now.getTime() - settings.recent_tasks_span_sec * 1000).toISOString())
				: await heldTaskOn(tx.db, task.user_id, task.parent_message_id, now.toISOString());
			if (other.length > 0) return 'taken';
		}
		// The draw read the tree outside any transaction: a reply that landed since may have filled
		// the parent (or the tree stopped growing). Hand out only what submitReply would accept.
		if (reply && (await replyRefusal(tx, parent, task.user_id, task.type === 'prompter_reply' ? 'prompter' : 'assistant', settings))) return 'taken';
		const typeLimit = TYPE_LIMITS[task.type];
		if (typeLimit && !(await tx.limiter.hit(tx.db, typeLimit, task.user_id, now.getTime()))) return 'taken';
		await insertTask(tx.db, task.id, task.type, task.payload, task.user_id, task.lang, task.created_date, task.expiry_date, task.message_tree_id, task.parent_message_id);
		return 'ok';
	});
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
	// The usual case in one statement (one round trip on PostgreSQL instead of four); anything it
	// does not match goes the long way, which says which rule refused it.
	if ((await ackOpenTask(env.db, input.taskId, userId, input.frontendMessageId, env.now().toISOString())).length > 0) return { ok: true };
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
