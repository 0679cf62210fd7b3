/**
 * Task submissions: a text reply (or initial prompt), a ranking, labels. Each runs in one
 * transaction, checks the task (theirs, acked, unexpired, not done), applies the rules, marks
 * the task done with its result, and lets the tree manager move the tree on.
 *
 * Idempotency: the client sends its own id (`clientId`) with each submission. A repeat with
 * the same id returns the stored first result and writes nothing; a different id on a done
 * task is refused ("this task was already completed").
 */
import { randomUUID } from 'node:crypto';
import { prepared } from '../db/prepared.js';
import { DomainError, fail } from '../errors.js';
import { inTransaction, type ServiceEnv } from '../env.js';
import { recordActivity } from './activity.js';
import { submittedLabelsSchema, type LabelMode, type LabelTaskKind } from './labels.js';
import { writeJournal } from './journal.js';
import { lockMessage, lockTreeState, recentTextsOf } from './messages.repo.js';
import { getTreeSettings, type TreeSettings } from './settings.js';
import type { TaskPayload } from './task-payloads.js';
import { ownTask, replyRefusal } from './tasks.service.js';
import type { Task } from './tasks.table.js';
import { checkText, REPEAT_SPAN_MS } from './text-rules.js';
import { applyReview, checkTreeProgress } from './tree-manager.js';
import type { MessageRole } from './trees.table.js';

/** What every submission returns. */
export interface TaskDone {
	type: 'task_done';
	taskId: string;
	/** The new message (text replies). */
	messageId?: string;
	messageTreeId?: string;
}

interface Stored {
	clientId: string;
	value: TaskDone;
}

/** A stored result when this is a repeat; otherwise checks that the task can take a submission. */
function replayOrCheck(task: Task, clientId: string, types: readonly string[]): TaskDone | null {
	if (task.done) {
		const stored = task.result ? (JSON.parse(task.result) as Stored) : null;
		if (stored?.clientId === clientId) return stored.value;
		fail('task_done');
	}
	if (task.skipped) fail('task_skipped');
	if (task.ack !== 1) fail('task_not_acked');
	if (!types.includes(task.type)) fail('task_type_mismatch', `this is a ${task.type} task`);
	return null;
}

const markTaskDone = prepared(2, (db, id: string, result: string) => db.updateTable('task').set({ done: 1, result }).where('id', '=', id));

const insertLabels = prepared(8, (db, id: string, messageId: string, userId: string, taskId: string, text: string, labels: string, mode: LabelMode, created: string) =>
	db.insertInto('text_labels').values({ id, message_id: messageId, user_id: userId, task_id: taskId, text, labels, mode, is_report: 0, created_date: created })
);
const setReviewCount = prepared(2, (db, id: string, count: number) => db.updateTable('message').set({ review_count: count }).where('id', '=', id));

async function finish(tx: ServiceEnv, task: Task, clientId: string, value: TaskDone): Promise<TaskDone> {
	const stored: Stored = { clientId, value };
	await markTaskDone(tx.db, task.id, JSON.stringify(stored));
	await recordActivity(tx.db, task.user_id, tx.now());
	return value;
}

function goalSize(s: TreeSettings, random: () => number): number {
	if (!s.random_goal_tree_size || s.min_goal_tree_size >= s.goal_tree_size) return s.goal_tree_size;
	return s.min_goal_tree_size + Math.floor(random() * (s.goal_tree_size - s.min_goal_tree_size + 1));
}

/** Submit the text of an initial prompt or reply task. */
export async function submitReply(env: ServiceEnv, userId: string, input: { taskId: string; clientId: string; text: string; lang?: string }): Promise<TaskDone> {
	const settings = await getTreeSettings(env.db); // cached per handle: read outside the transaction
	return inTransaction(env, async (tx) => {
		const task = await ownTask(tx, userId, input.taskId);
		const replay = replayOrCheck(task, input.clientId, ['initial_prompt', 'prompter_reply', 'assistant_reply']);
		if (replay) return replay;
		const existing = await tx.db.selectFrom('message').select(['id', 'message_tree_id', 'task_id']).where('user_id', '=', userId).where('frontend_message_id', '=', input.clientId).executeTakeFirst();
		if (existing) return { type: 'task_done', taskId: existing.task_id ?? task.id, messageId: existing.id, messageTreeId: existing.message_tree_id };

		const now = tx.now();
		const textError = checkText(input.text, await recentTextsOf(tx.db, userId, new Date(now.getTime() - REPEAT_SPAN_MS)));
		if (textError) throw textError;
		const lang = input.lang ?? task.lang;
		const id = randomUUID();
		const base = { id, task_id: task.id, user_id: userId, frontend_message_id: input.clientId, created_date: now.toISOString(), text: input.text, lang, review_result: null, rank: null, model_name: null, label_totals: null };

		if (task.type === 'initial_prompt') {
			await tx.db.insertInto('message').values({ ...base, parent_id: null, message_tree_id: id, role: 'prompter', depth: 0 }).execute();
			await tx.db
				.insertInto('message_tree_state')
				.values({ message_tree_id: id, goal_tree_size: goalSize(settings, tx.random), max_depth: settings.max_tree_depth, max_children_count: settings.max_children_count, state: 'initial_prompt_review', active: 1, origin: 'crowd', won_prompt_lottery_date: null, lang })
				.execute();
			await writeJournal(tx.db, { type: 'text_reply', now, userId, messageId: id, payload: { taskId: task.id, role: 'prompter', initial: true } });
			return finish(tx, task, input.clientId, { type: 'task_done', taskId: task.id, messageId: id, messageTreeId: id });
		}

		const role: MessageRole = task.type === 'prompter_reply' ? 'prompter' : 'assistant';
		const parent = task.parent_message_id ? await lockMessage(tx.db, tx.dialect, task.parent_message_id) : undefined;
		const refused = await replyRefusal(tx, parent, userId, role, settings);
		if (refused || !parent) fail(refused ?? 'message_not_found');

		await tx.db.insertInto('message').values({ ...base, parent_id: parent.id, message_tree_id: parent.message_tree_id, role, depth: parent.depth + 1 }).execute();
		await tx.db.updateTable('message').set({ children_count: parent.children_count + 1 }).where('id', '=', parent.id).execute();
		await writeJournal(tx.db, { type: 'text_reply', now, userId, messageId: id, payload: { taskId: task.id, role, parentId: parent.id } });
		return finish(tx, task, input.clientId, { type: 'task_done', taskId: task.id, messageId: id, messageTreeId: parent.message_tree_id });
	});
}

/** Whether `ranking` is a permutation of 0..n−1. */
export function isPermutation(ranking: readonly number[], n: number): boolean {
	if (ranking.length !== n) return false;
	const seen = new Set(ranking);
	return seen.size === n && ranking.every((i) => Number.isInteger(i) && i >= 0 && i < n);
}

/**
 * Submit a ranking: indices into the task's (shuffled) replies, best first. A not-rankable
 * ballot is recorded (its ranking may be empty) but neither votes nor counts toward the
 * rankings the parent needs.
 */
export async function submitRanking(env: ServiceEnv, userId: string, input: { taskId: string; clientId: string; ranking: number[]; notRankable: boolean }): Promise<TaskDone> {
	const settings = await getTreeSettings(env.db);
	return inTransaction(env, async (tx) => {
		const task = await ownTask(tx, userId, input.taskId);
		const replay = replayOrCheck(task, input.clientId, ['rank_prompter_replies', 'rank_assistant_replies']);
		if (replay) return replay;
		const payload = JSON.parse(task.payload) as Extract<TaskPayload, { type: 'rank_prompter_replies' | 'rank_assistant_replies' }>;
		const ids = payload.replyMessages.map((r) => r.id);
		const unranked = input.notRankable && input.ranking.length === 0;
		if (!unranked && !isPermutation(input.ranking, ids.length)) throw new DomainError('ranking_permutation', `expected each of 0..${ids.length - 1} once`);
		const rankedIds = unranked ? ids : input.ranking.map((i) => ids[i]);
		await lockTreeState(tx.db, tx.dialect, payload.messageTreeId); // task → tree → messages, as everywhere
		const authors = await tx.db.selectFrom('message').select('user_id').where('id', 'in', ids).execute();
		if (authors.some((a) => a.user_id === userId)) fail('self_review');

		await tx.db
			.insertInto('message_reaction')
			.values({
				id: randomUUID(),
				task_id: task.id,
				user_id: userId,
				message_id: payload.rankingParentId,
				message_tree_id: payload.messageTreeId,
				kind: 'ranking',
				payload: JSON.stringify({ ranking: input.ranking, ranked_message_ids: rankedIds, ranking_parent_id: payload.rankingParentId, message_tree_id: payload.messageTreeId, not_rankable: input.notRankable }),
				not_rankable: input.notRankable ? 1 : 0,
				created_date: tx.now().toISOString()
			})
			.execute();
		if (!input.notRankable) {
			await tx.db.updateTable('message').set((eb) => ({ ranking_count: eb('ranking_count', '+', 1) })).where('id', 'in', rankedIds).execute();
		}
		await writeJournal(tx.db, { type: 'ranking', now: tx.now(), userId, messageId: payload.rankingParentId, payload: { taskId: task.id, rankedIds, notRankable: input.notRankable } });
		const done = await finish(tx, task, input.clientId, { type: 'task_done', taskId: task.id });
		await checkTreeProgress(tx, settings, payload.messageTreeId);
		return done;
	});
}

const LABEL_KINDS: Record<string, LabelTaskKind> = { label_initial_prompt: 'initial_prompt', label_prompter_reply: 'prompter_reply', label_assistant_reply: 'assistant_reply' };

/** The schemas per task kind and mode, built once (building one costs more than using it). */
const labelSchemas = new Map<string, ReturnType<typeof submittedLabelsSchema>>();

/** Parse labels for a task kind and mode, or throw `invalid_labels` naming each problem. */
export function parseLabels(kind: LabelTaskKind, mode: LabelMode, labels: Record<string, number>) {
	const key = `${kind}/${mode}`;
	let schema = labelSchemas.get(key);
	if (!schema) labelSchemas.set(key, (schema = submittedLabelsSchema(kind, mode)));
	const parsed = schema.safeParse(labels);
	if (!parsed.success) throw new DomainError('invalid_labels', parsed.error.issues.map((i) => i.message).join('; '));
	return parsed.data;
}

/** Submit the labels of a labelling task; enough reviews decide the message's acceptance. */
export async function submitLabels(
	env: ServiceEnv,
	userId: string,
	input: { taskId: string; clientId: string; messageId: string; labels: Record<string, number>; text?: string }
): Promise<TaskDone> {
	const settings = await getTreeSettings(env.db);
	return inTransaction(env, async (tx) => {
		const task = await ownTask(tx, userId, input.taskId);
		const replay = replayOrCheck(task, input.clientId, Object.keys(LABEL_KINDS));
		if (replay) return replay;
		if (task.parent_message_id !== input.messageId) fail('task_type_mismatch', 'the labels are for another message');
		const payload = JSON.parse(task.payload) as { mode: LabelMode };
		const labels = parseLabels(LABEL_KINDS[task.type], payload.mode, input.labels);
		const message = await lockMessage(tx.db, tx.dialect, input.messageId);
		if (!message) fail('message_not_found');
		if (message.user_id === userId) fail('self_review');

		const now = tx.now();
		await insertLabels(tx.db, randomUUID(), message.id, userId, task.id, input.text ?? '', JSON.stringify(labels), payload.mode, now.toISOString());
		await setReviewCount(tx.db, message.id, message.review_count + 1);
		await writeJournal(tx.db, { type: 'labels', now, userId, messageId: message.id, payload: { taskId: task.id, mode: payload.mode } });
		const done = await finish(tx, task, input.clientId, { type: 'task_done', taskId: task.id });
		await applyReview(tx, settings, { ...message, review_count: message.review_count + 1 });
		return done;
	});
}
