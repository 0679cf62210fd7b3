/**
 * User management for moderators and admins: search users, one user's record with counts, and
 * (admins) set a role. Bans and purges are in trees/moderation.service.ts.
 */
import { sql } from 'kysely';
import { fail } from '../errors.js';
import { inTransaction, type ServiceEnv, type Db } from '../env.js';
import { writeJournal } from '../trees/journal.js';
import { deleteUserSessions } from './sessions.js';
import type { Role } from './users.table.js';

/** A row of the user list. */
export interface UserSummary {
	id: string;
	displayName: string;
	role: Role;
	enabled: boolean;
	deleted: boolean;
	createdDate: string;
	lastActivityDate: string | null;
	messageCount: number;
}

/** `%text%` for LIKE, with the wildcards in `text` escaped (the query says `escape '\'`). */
export function containsPattern(text: string): string {
	return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Users whose display name contains `q` (any case) or whose id is `q`, optionally of one role,
 * by display name then id; `offset` pages.
 */
export async function searchUsers(db: Db, input: { q: string; role?: Role; offset: number; limit: number }): Promise<{ users: UserSummary[]; nextOffset: number | null }> {
	let query = db
		.selectFrom('user as u')
		.select([
			'u.id',
			'u.display_name',
			'u.role',
			'u.enabled',
			'u.deleted',
			'u.created_date',
			'u.last_activity_date',
			(eb) => eb.selectFrom('message as m').select((e) => e.fn.countAll<number>().as('n')).whereRef('m.user_id', '=', 'u.id').as('message_count')
		]);
	const q = input.q.trim();
	if (q) query = query.where((eb) => eb.or([eb('u.id', '=', q), sql<boolean>`lower(${sql.ref('u.display_name')}) like ${containsPattern(q)} escape '\\'`]));
	if (input.role) query = query.where('u.role', '=', input.role);
	const rows = await query.orderBy('u.display_name').orderBy('u.id').limit(input.limit + 1).offset(input.offset).execute();
	return {
		users: rows.slice(0, input.limit).map((r) => ({
			id: r.id,
			displayName: r.display_name,
			role: r.role,
			enabled: r.enabled === 1,
			deleted: r.deleted === 1,
			createdDate: r.created_date,
			lastActivityDate: r.last_activity_date,
			messageCount: Number(r.message_count ?? 0)
		})),
		nextOffset: rows.length > input.limit ? input.offset + input.limit : null
	};
}

/** One user's record for moderators: the summary, settings and what they did. */
export async function userRecord(db: Db, userId: string) {
	const user = await db.selectFrom('user').selectAll().where('id', '=', userId).executeTakeFirst();
	if (!user) fail('user_not_found');
	const count = async (q: { executeTakeFirstOrThrow(): Promise<{ n: number | string | bigint }> }) => Number((await q.executeTakeFirstOrThrow()).n);
	const [messages, deletedMessages, labels, reportsMade, reportsReceived] = await Promise.all([
		count(db.selectFrom('message').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId)),
		count(db.selectFrom('message').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).where('deleted', '=', 1)),
		count(db.selectFrom('text_labels').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).where('is_report', '=', 0)),
		count(db.selectFrom('text_labels').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).where('is_report', '=', 1)),
		count(
			db
				.selectFrom('text_labels as l')
				.innerJoin('message as m', 'm.id', 'l.message_id')
				.select((eb) => eb.fn.countAll<number>().as('n'))
				.where('m.user_id', '=', userId)
				.where('l.is_report', '=', 1)
		)
	]);
	return {
		id: user.id,
		displayName: user.display_name,
		role: user.role,
		enabled: user.enabled === 1,
		deleted: user.deleted === 1,
		showOnLeaderboard: user.show_on_leaderboard === 1,
		language: user.language,
		notes: user.notes,
		createdDate: user.created_date,
		lastActivityDate: user.last_activity_date,
		streakDays: user.streak_days,
		counts: { messages, deletedMessages, labels, reportsMade, reportsReceived }
	};
}

/** Set a user's role (admins). Nobody changes their own; `banned` ends the user's sessions. */
export function setRole(env: ServiceEnv, adminId: string, userId: string, role: Role): Promise<{ role: Role }> {
	return inTransaction(env, async (tx) => {
		if (userId === adminId) fail('not_on_yourself');
		const user = await tx.db.selectFrom('user').select(['id', 'role', 'deleted']).where('id', '=', userId).executeTakeFirst();
		if (!user || user.deleted) fail('user_not_found');
		if (user.role !== role) {
			await tx.db.updateTable('user').set({ role }).where('id', '=', userId).execute();
			if (role === 'banned') await deleteUserSessions(tx.db, userId);
			await writeJournal(tx.db, { type: 'user_role', now: tx.now(), userId: adminId, payload: { target: userId, from: user.role, to: role } });
		}
		return { role };
	});
}
