/** Queries on users and accounts. Every function takes `db | trx` first. */
import { randomUUID } from 'node:crypto';
import type { Db } from '../env.js';
import type { Role, User } from './users.table.js';

/** Insert a user; returns the new row. */
export async function insertUser(db: Db, values: { displayName: string; role: Role; now: Date }): Promise<User> {
	const id = randomUUID();
	await db
		.insertInto('user')
		.values({ id, display_name: values.displayName, role: values.role, created_date: values.now.toISOString() })
		.execute();
	return db.selectFrom('user').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** One user by id. */
export function getUser(db: Db, id: string): Promise<User | undefined> {
	return db.selectFrom('user').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Whether the deployment has no user yet (the first sign-up becomes admin). */
export async function hasNoUsers(db: Db): Promise<boolean> {
	const row = await db.selectFrom('user').select('id').limit(1).executeTakeFirst();
	return row === undefined;
}

/** An account with its user, by provider and the provider's account id (the email for passwords). */
export function findAccount(db: Db, provider: string, providerAccountId: string) {
	return db
		.selectFrom('account')
		.innerJoin('user', 'user.id', 'account.user_id')
		.select(['account.id as account_id', 'account.password_hash', 'user.id', 'user.display_name', 'user.role', 'user.language', 'user.enabled', 'user.deleted'])
		.where('account.provider', '=', provider)
		.where('account.provider_account_id', '=', providerAccountId)
		.executeTakeFirst();
}

/** Link a sign-in method to a user. */
export async function insertAccount(
	db: Db,
	values: { userId: string; provider: string; providerAccountId: string; passwordHash: string | null; now: Date }
): Promise<void> {
	await db
		.insertInto('account')
		.values({
			id: randomUUID(),
			user_id: values.userId,
			provider: values.provider,
			provider_account_id: values.providerAccountId,
			password_hash: values.passwordHash,
			created_date: values.now.toISOString()
		})
		.execute();
}
