/**
 * Who is signed in. Remembered on the device so the app knows its user offline; refreshed from
 * the server whenever it answers.
 */
import { api } from './api/client';
import type { ApiOutputs } from './api/types';

export type User = NonNullable<ApiOutputs['auth']['me']>;
const KEY = 'oasis.user';

class Session {
	user = $state<User | null>(null);
	/** The server confirmed (or denied) the session since the page loaded. */
	checked = $state(false);

	constructor() {
		if (typeof localStorage !== 'undefined') {
			try {
				this.user = JSON.parse(localStorage.getItem(KEY) ?? 'null') as User | null;
			} catch {
				this.user = null;
			}
		}
	}

	set(user: User | null): void {
		this.user = user;
		if (user) localStorage.setItem(KEY, JSON.stringify(user));
		else localStorage.removeItem(KEY);
	}

	/** Ask the server; offline, the remembered user stays. */
	async refresh(): Promise<void> {
		try {
			this.set(await api.auth.me.query());
		} catch {
			// Offline or server down: keep what the device remembers.
		}
		this.checked = true;
	}

	async signOut(): Promise<void> {
		await api.auth.signOut.mutate().catch(() => undefined);
		this.set(null);
	}
}

export const session = new Session();
