/** Row types of the account tables (see db/migrations/2026_11_27_0002_trees.ts). */
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Web roles, as upstream. `banned` users can sign in but every authed procedure refuses them. */
export type Role = 'general' | 'moderator' | 'admin' | 'banned';

/** `user`: a volunteer. */
export interface UserTable {
	id: string;
	display_name: string;
	role: Generated<Role>;
	enabled: Generated<number>;
	show_on_leaderboard: Generated<number>;
	deleted: Generated<number>;
	notes: Generated<string>;
	created_date: string;
	streak_days: Generated<number>;
	streak_last_day_date: string | null;
	last_activity_date: string | null;
	/** The language the user contributes in (a code of `LANGUAGES`); null: the browser's. Since 0005. */
	language: string | null;
}
export type User = Selectable<UserTable>;
export type NewUser = Insertable<UserTable>;
export type UserUpdate = Updateable<UserTable>;

/** `account`: a way to sign in. */
export interface AccountTable {
	id: string;
	user_id: string;
	/** `password` (email + argon2id hash) or `dev` (development login). */
	provider: string;
	provider_account_id: string;
	password_hash: string | null;
	created_date: string;
}
export type Account = Selectable<AccountTable>;

/** `session`: a signed-in browser. */
export interface SessionTable {
	/** SHA-256 of the cookie token: a leaked table does not leak live sessions. */
	id: string;
	user_id: string;
	created_date: string;
	expires_date: string;
}
export type Session = Selectable<SessionTable>;
