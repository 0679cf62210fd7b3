/**
 * Sessions live in the database. The browser holds an opaque random token; the table keeps
 * only its SHA-256, so reading the table does not let anyone sign in.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { prepared } from '../db/prepared.js';
import type { Role } from './users.table.js';

/** How long a session lasts. */
export const SESSION_DAYS = 30;

/** The signed-in user as procedures see it. */
export interface SessionUser {
	id: string;
	displayName: string;
	role: Role;
	/** The language the user contributes in, or null (the browser's). */
	language: string | null;
	/** The session's id (hash), so sign-out can delete it. */
	sessionId: string;
}

function tokenId(token: string): string {
	return createHash('sha256').update(token).digest('hex');
}

/** Start a session for `userId`; returns the token for the cookie. */
export async function createSession(db: Kysely<Database>, userId: string, now: Date): Promise<{ token: string; maxAgeSec: number }> {
	const token = randomBytes(32).toString('base64url');
	const maxAgeSec = SESSION_DAYS * 86_400;
	await db
		.insertInto('session')
		.values({
			id: tokenId(token),
			user_id: userId,
			created_date: now.toISOString(),
			expires_date: new Date(now.getTime() + maxAgeSec * 1000).toISOString()
		})
		.execute();
	return { token, maxAgeSec };
}

/** A session and its user, by the token's hash: read on every signed-in call, so compiled once. */
const sessionRow = prepared(1, (db, id: string) =>
	db
		.selectFrom('session')
		.innerJoin('user', 'user.id', 'session.user_id')
		.select(['session.id as session_id', 'session.expires_date', 'user.id', 'user.display_name', 'user.role', 'user.language', 'user.enabled', 'user.deleted'])
		.where('session.id', '=', id)
);

/** The user behind a cookie token, or null when unknown, expired, disabled or deleted. */
export async function resolveSession(db: Kysely<Database>, token: string | null, now: Date): Promise<SessionUser | null> {
	if (!token || token.length > 200) return null;
	const [row] = await sessionRow(db, tokenId(token));
	if (!row || row.expires_date <= now.toISOString() || !row.enabled || row.deleted) return null;
	return { id: row.id, displayName: row.display_name, role: row.role, language: row.language, sessionId: row.session_id };
}

/** End one session. */
export async function deleteSession(db: Kysely<Database>, sessionId: string): Promise<void> {
	await db.deleteFrom('session').where('id', '=', sessionId).execute();
}

/** End every session of a user (ban, purge). */
export async function deleteUserSessions(db: Kysely<Database>, userId: string): Promise<void> {
	await db.deleteFrom('session').where('user_id', '=', userId).execute();
}

