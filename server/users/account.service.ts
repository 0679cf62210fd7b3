/**
 * A volunteer's own account: settings (display name, contribution language, leaderboard
 * visibility) and deletion.
 *
 * Deleting an account follows upstream (`UserRepository.mark_user_deleted`): the messages stay
 * in their trees (other people's replies, labels and rankings build on them, and they may
 * already be in exported datasets), while the person is removed: the user row is marked
 * deleted and disabled, its display name replaced by an anonymous one, hidden from the
 * leaderboard, its language and notes cleared, its sign-in methods and sessions deleted (so the
 * email can sign up again as a new, unrelated user).
 */
import { randomBytes } from 'node:crypto';
import { fail } from '../errors.js';
import { inTransaction, type ServiceEnv, type Db } from '../env.js';
import { writeJournal } from '../trees/journal.js';
import { deleteUserSessions } from './sessions.js';
import { getUser } from './users.repo.js';

/** What the settings page shows and edits. */
export interface AccountSettings {
	displayName: string;
	language: string | null;
	showOnLeaderboard: boolean;
}

/** A change to the settings; absent fields stay as they are (`language: null` clears it). */
export interface SettingsPatch {
	displayName?: string;
	language?: string | null;
	showOnLeaderboard?: boolean;
}

/** The signed-in user's settings. */
export async function getSettings(db: Db, userId: string): Promise<AccountSettings> {
	const user = await getUser(db, userId);
	if (!user || user.deleted) fail('user_not_found');
	return { displayName: user.display_name, language: user.language, showOnLeaderboard: user.show_on_leaderboard === 1 };
}

/** Change some settings; returns them all. */
export async function updateSettings(db: Db, userId: string, patch: SettingsPatch): Promise<AccountSettings> {
	const values: { display_name?: string; language?: string | null; show_on_leaderboard?: number } = {};
	if (patch.displayName !== undefined) values.display_name = patch.displayName.trim();
	if (patch.language !== undefined) values.language = patch.language;
	if (patch.showOnLeaderboard !== undefined) values.show_on_leaderboard = patch.showOnLeaderboard ? 1 : 0;
	if (Object.keys(values).length > 0) {
		const result = await db.updateTable('user').set(values).where('id', '=', userId).where('deleted', '=', 0).executeTakeFirst();
		if (Number(result.numUpdatedRows) === 0) fail('user_not_found');
	}
	return getSettings(db, userId);
}

/** Number of admins who can still sign in. */
export async function activeAdminCount(db: Db): Promise<number> {
	const row = await db
		.selectFrom('user')
		.select((eb) => eb.fn.countAll<number>().as('n'))
		.where('role', '=', 'admin')
		.where('deleted', '=', 0)
		.where('enabled', '=', 1)
		.executeTakeFirstOrThrow();
	return Number(row.n);
}

/** Delete the user's account (see the module comment); the last admin cannot. */
export function deleteAccount(env: ServiceEnv, userId: string): Promise<{ deleted: true; messagesKept: number }> {
	return inTransaction(env, async (tx) => {
		const user = await getUser(tx.db, userId);
		if (!user || user.deleted) fail('user_not_found');
		if (user.role === 'admin' && (await activeAdminCount(tx.db)) <= 1) fail('last_admin');
		await tx.db
			.updateTable('user')
			.set({
				deleted: 1,
				enabled: 0,
				show_on_leaderboard: 0,
				display_name: `Deleted user ${randomBytes(4).toString('hex')}`,
				language: null,
				notes: '',
				role: user.role === 'banned' ? 'banned' : 'general'
			})
			.where('id', '=', userId)
			.execute();
		await tx.db.deleteFrom('account').where('user_id', '=', userId).execute();
		await deleteUserSessions(tx.db, userId);
		const kept = await tx.db.selectFrom('message').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow();
		await writeJournal(tx.db, { type: 'account_delete', now: tx.now(), userId, payload: { messagesKept: Number(kept.n) } });
		return { deleted: true as const, messagesKept: Number(kept.n) };
	});
}
