/**
 * Sign-up, sign-in, the development login and sign-out. The first account created on an
 * empty deployment becomes `admin`, so a fresh install can be administered without a CLI step.
 */
import { fail } from '../errors.js';
import { inTransaction, type ServiceEnv } from '../env.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { LIMITS } from './rate-limit.js';
import { createSession, deleteSession } from './sessions.js';
import { findAccount, hasNoUsers, insertAccount, insertUser } from './users.repo.js';
import type { Role } from './users.table.js';

/** A signed-in result: the public user fields and the cookie token. */
export interface SignedIn {
	user: { id: string; displayName: string; role: Role; language: string | null };
	token: string;
	maxAgeSec: number;
}

// Verified against when the email is unknown, so a miss costs as long as a hit.
let dummyHash: Promise<string> | undefined;

/** Create a password account and sign it in. */
export async function signUp(env: ServiceEnv, input: { email: string; password: string; displayName: string }): Promise<SignedIn> {
	const email = input.email.trim().toLowerCase();
	const passwordHash = await hashPassword(input.password);
	const user = await inTransaction(env, async (tx) => {
		if (await findAccount(tx.db, 'password', email)) fail('email_taken');
		const role: Role = (await hasNoUsers(tx.db)) ? 'admin' : 'general';
		const created = await insertUser(tx.db, { displayName: input.displayName.trim(), role, now: tx.now() });
		await insertAccount(tx.db, { userId: created.id, provider: 'password', providerAccountId: email, passwordHash, now: tx.now() });
		return created;
	});
	const session = await createSession(env.db, user.id, env.now());
	return { user: { id: user.id, displayName: user.display_name, role: user.role, language: user.language }, ...session };
}

/** Check an email and password and start a session. */
export async function signIn(env: ServiceEnv, input: { email: string; password: string }): Promise<SignedIn> {
	const email = input.email.trim().toLowerCase();
	if (!(await env.limiter.hit(env.db, LIMITS.signIn, email, env.now().getTime()))) fail('rate_limited', LIMITS.signIn.name);
	const account = await findAccount(env.db, 'password', email);
	dummyHash ??= hashPassword('not a real password');
	const ok = await verifyPassword(account?.password_hash ?? (await dummyHash), input.password);
	if (!account || !ok || !account.enabled || account.deleted) fail('bad_credentials');
	const session = await createSession(env.db, account.id, env.now());
	return { user: { id: account.id, displayName: account.display_name, role: account.role, language: account.language }, ...session };
}

/** Whether the development login is switched on (OASIS_DEV_LOGIN=1). */
export function devLoginEnabled(): boolean {
	return process.env.OASIS_DEV_LOGIN === '1';
}

/**
 * Development login: sign in as `name` without a password, creating the user (with `role`)
 * on first use. Refused unless OASIS_DEV_LOGIN=1.
 */
export async function devLogin(env: ServiceEnv, input: { name: string; role?: Role }, enabled = devLoginEnabled()): Promise<SignedIn> {
	if (!enabled) fail('dev_login_off');
	const user = await inTransaction(env, async (tx) => {
		const found = await findAccount(tx.db, 'dev', input.name);
		if (found) {
			if (input.role && input.role !== found.role) await tx.db.updateTable('user').set({ role: input.role }).where('id', '=', found.id).execute();
			return { id: found.id, display_name: found.display_name, role: input.role ?? found.role, language: found.language };
		}
		const created = await insertUser(tx.db, { displayName: input.name, role: input.role ?? 'general', now: tx.now() });
		await insertAccount(tx.db, { userId: created.id, provider: 'dev', providerAccountId: input.name, passwordHash: null, now: tx.now() });
		return created;
	});
	const session = await createSession(env.db, user.id, env.now());
	return { user: { id: user.id, displayName: user.display_name, role: user.role, language: user.language }, ...session };
}

/** End the current session. */
export function signOut(env: ServiceEnv, sessionId: string): Promise<void> {
	return deleteSession(env.db, sessionId);
}
