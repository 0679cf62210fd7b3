/**
 * Moderator tools: halt and resume a tree, delete and undelete a subtree, edit with revision
 * history, ban and purge users, and the flagged-message queue.
 */
import { randomUUID } from 'node:crypto';
import { fail } from '../errors.js';
import { inTransaction, type ServiceEnv, type Db } from '../env.js';
import { deleteUserSessions } from '../users/sessions.js';
import type { Role } from '../users/users.table.js';
import { writeJournal } from './journal.js';
import { lockMessage, lockTreeState, treeMessages } from './messages.repo.js';
import { getTreeSettings } from './settings.js';
import { checkText } from './text-rules.js';
import { checkTreeProgress, enterState } from './tree-manager.js';
import type { TreeState } from './trees.table.js';

/** Halt a tree: it takes no more work until resumed. */
export function haltTree(env: ServiceEnv, moderatorId: string, treeId: string): Promise<{ state: TreeState }> {
	return inTransaction(env, async (tx) => {
		const tree = await lockTreeState(tx.db, tx.dialect, treeId);
		if (!tree) fail('tree_not_found');
		const next = await enterState(tx, await getTreeSettings(tx.db), tree, 'halted_by_moderator', `halted by moderator ${moderatorId}`);
		return { state: next.state };
	});
}

/** Resume a halted tree in the state it was halted from (growing when unknown), then re-check it. */
export function resumeTree(env: ServiceEnv, moderatorId: string, treeId: string): Promise<{ state: TreeState }> {
	return inTransaction(env, async (tx) => {
		const tree = await lockTreeState(tx.db, tx.dialect, treeId);
		if (!tree) fail('tree_not_found');
		if (tree.state !== 'halted_by_moderator') fail('invalid_state', `the tree is ${tree.state}, not halted`);
		const events = await tx.db.selectFrom('journal').select('payload').where('message_id', '=', treeId).where('event_type', '=', 'tree_state').orderBy('created_date', 'desc').orderBy('id', 'desc').execute();
		const halt = events.map((e) => JSON.parse(e.payload) as { from: TreeState; to: TreeState }).find((e) => e.to === 'halted_by_moderator');
		const back: TreeState = halt && halt.from !== 'halted_by_moderator' && halt.from !== 'ready_for_scoring' ? halt.from : 'growing';
		const settings = await getTreeSettings(tx.db);
		await enterState(tx, settings, tree, back, `resumed by moderator ${moderatorId}`, { force: true });
		const checked = await checkTreeProgress(tx, settings, treeId);
		return { state: checked?.state ?? back };
	});
}

async function subtreeIds(db: Db, messageId: string, treeId: string): Promise<string[]> {
	const all = await treeMessages(db, treeId);
	const ids = [messageId];
	for (let i = 0; i < ids.length; i++) for (const m of all) if (m.parent_id === ids[i]) ids.push(m.id);
	return ids;
}

/** Mark a message and everything below it deleted (or not). */
export function setSubtreeDeleted(env: ServiceEnv, moderatorId: string, messageId: string, deleted: boolean): Promise<{ count: number }> {
	return inTransaction(env, async (tx) => {
		const m = await lockMessage(tx.db, tx.dialect, messageId);
		if (!m) fail('message_not_found');
		const ids = await subtreeIds(tx.db, m.id, m.message_tree_id);
		await tx.db.updateTable('message').set({ deleted: deleted ? 1 : 0 }).where('id', 'in', ids).execute();
		if (m.parent_id && m.deleted !== (deleted ? 1 : 0)) {
			await tx.db.updateTable('message').set((eb) => ({ children_count: eb('children_count', deleted ? '-' : '+', 1) })).where('id', '=', m.parent_id).execute();
		}
		await writeJournal(tx.db, { type: deleted ? 'message_delete' : 'message_undelete', now: tx.now(), userId: moderatorId, messageId, payload: { count: ids.length } });
		await checkTreeProgress(tx, await getTreeSettings(tx.db), m.message_tree_id);
		return { count: ids.length };
	});
}

/** Edit a message's text (its author or a moderator); the old text is kept as a revision. */
export function editMessage(env: ServiceEnv, editor: { id: string; moderator: boolean }, input: { messageId: string; text: string }): Promise<{ revisions: number }> {
	return inTransaction(env, async (tx) => {
		const m = await lockMessage(tx.db, tx.dialect, input.messageId);
		if (!m || m.deleted) fail('message_not_found');
		if (m.user_id !== editor.id && !editor.moderator) fail('role_required', 'the author or a moderator');
		const error = checkText(input.text);
		if (error) throw error;
		const now = tx.now().toISOString();
		await tx.db.insertInto('message_revision').values({ id: randomUUID(), message_id: m.id, user_id: editor.id, text: m.text, created_date: now }).execute();
		await tx.db.updateTable('message').set({ text: input.text, edited: 1 }).where('id', '=', m.id).execute();
		await writeJournal(tx.db, { type: 'message_edit', now: tx.now(), userId: editor.id, messageId: m.id });
		const count = await tx.db.selectFrom('message_revision').select((eb) => eb.fn.countAll<number>().as('n')).where('message_id', '=', m.id).executeTakeFirstOrThrow();
		return { revisions: Number(count.n) };
	});
}

/** Earlier texts of a message, newest first. */
export async function revisions(db: Db, messageId: string): Promise<{ text: string; editorId: string | null; createdDate: string }[]> {
	const rows = await db.selectFrom('message_revision').selectAll().where('message_id', '=', messageId).orderBy('created_date', 'desc').orderBy('id', 'desc').execute();
	return rows.map((r) => ({ text: r.text, editorId: r.user_id, createdDate: r.created_date }));
}

/** Ban (or unban, back to `general`) a user; a ban ends their sessions. */
export function setBanned(env: ServiceEnv, moderatorId: string, userId: string, banned: boolean): Promise<{ role: Role }> {
	return inTransaction(env, async (tx) => {
		const user = await tx.db.selectFrom('user').select(['id', 'role']).where('id', '=', userId).executeTakeFirst();
		if (!user) fail('user_not_found');
		if (banned && user.role === 'admin') fail('role_required', 'admins cannot be banned');
		if (userId === moderatorId) fail('not_on_yourself');
		if (!banned && user.role !== 'banned') return { role: user.role }; // unbanning someone not banned changes nothing
		const role: Role = banned ? 'banned' : 'general';
		await tx.db.updateTable('user').set({ role }).where('id', '=', userId).execute();
		if (banned) await deleteUserSessions(tx.db, userId);
		await writeJournal(tx.db, { type: 'user_ban', now: tx.now(), userId: moderatorId, payload: { target: userId, banned } });
		return { role };
	});
}

/** Purge a user: ban them and delete every message they wrote, with the replies below it. */
export async function purgeUser(env: ServiceEnv, adminId: string, userId: string): Promise<{ deleted: number }> {
	await setBanned(env, adminId, userId, true);
	const own = await env.db.selectFrom('message').select('id').where('user_id', '=', userId).where('deleted', '=', 0).execute();
	let deleted = 0;
	for (const { id } of own) deleted += (await setSubtreeDeleted(env, adminId, id, true)).count;
	await writeJournal(env.db, { type: 'user_purge', now: env.now(), userId: adminId, payload: { target: userId, deleted } });
	return { deleted };
}

/** The flagged-message queue, oldest first. */
export async function flaggedQueue(db: Db, input: { processed: boolean; limit: number }) {
	const rows = await db
		.selectFrom('flagged_message as f')
		.innerJoin('message as m', 'm.id', 'f.message_id')
		.select([
			'f.message_id',
			'f.processed',
			'f.created_date',
			'm.text',
			'm.message_tree_id',
			'm.user_id',
			'm.emojis',
			'm.deleted',
			'm.role',
			'm.lang',
			(eb) => eb.selectFrom('text_labels as l').select((e) => e.fn.countAll<number>().as('n')).whereRef('l.message_id', '=', 'f.message_id').where('l.is_report', '=', 1).as('report_count')
		])
		.where('f.processed', '=', input.processed ? 1 : 0)
		.orderBy('f.created_date')
		.limit(input.limit)
		.execute();
	return rows.map((r) => ({
		messageId: r.message_id,
		messageTreeId: r.message_tree_id,
		authorId: r.user_id,
		text: r.text,
		role: r.role,
		lang: r.lang,
		redFlags: (JSON.parse(r.emojis) as Record<string, number>).red_flag ?? 0,
		reportCount: Number(r.report_count ?? 0),
		deleted: r.deleted === 1,
		processed: r.processed === 1,
		flaggedDate: r.created_date
	}));
}

/** Mark a flagged message handled. */
export async function markFlagProcessed(db: Db, messageId: string): Promise<{ ok: true }> {
	const result = await db.updateTable('flagged_message').set({ processed: 1 }).where('message_id', '=', messageId).executeTakeFirst();
	if (Number(result.numUpdatedRows) === 0) fail('message_not_found');
	return { ok: true };
}

/** The retry job for `scoring_failed` trees: back to ranking, which scores them again at once. */
export async function retryFailedScoring(env: ServiceEnv): Promise<{ retried: number; exported: number }> {
	const failed = await env.db.selectFrom('message_tree_state').select('message_tree_id').where('state', '=', 'scoring_failed').execute();
	let exported = 0;
	for (const { message_tree_id } of failed) {
		const state = await inTransaction(env, async (tx) => {
			const tree = await lockTreeState(tx.db, tx.dialect, message_tree_id);
			if (tree?.state !== 'scoring_failed') return tree?.state;
			const settings = await getTreeSettings(tx.db);
			await enterState(tx, settings, tree, 'ranking', 'scoring retried');
			return (await checkTreeProgress(tx, settings, message_tree_id))?.state;
		});
		if (state === 'ready_for_export') exported++;
	}
	return { retried: failed.length, exported };
}
