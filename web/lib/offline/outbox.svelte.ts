/**
 * The outbox as the UI sees it (live from IndexedDB), and the sync loop: a flush on start, on
 * every `online` event, every 30 seconds, and when an answer is queued.
 */
import { liveQuery } from 'dexie';
import { session } from '../session.svelte';
import { oasisDb, type OutboxItem } from './db';
import { Flusher, flushOutbox, type FlushResult } from './sync';
import { apiTransport } from './transport';

const PERIOD_MS = 30_000;

class Outbox {
	#all = $state.raw<OutboxItem[]>([]);
	/** The signed-in user's entries, newest first. */
	items = $derived(this.#all.filter((i) => !session.user || i.userId === session.user.id));
	pending = $derived(this.items.filter((i) => i.status === 'pending'));
	expired = $derived(this.items.filter((i) => i.status === 'expired'));
	failed = $derived(this.items.filter((i) => i.status === 'failed'));
	sent = $derived(this.items.filter((i) => i.status === 'done'));
	#started = false;
	#flusher = new Flusher(async () => {
		const user = session.user;
		if (!user) return { sent: 0, expired: 0, failed: 0, pending: 0, stoppedBy: null };
		return flushOutbox(oasisDb(), apiTransport, user.id);
	});

	/** Start watching and syncing (once per page). Returns a stop function. */
	start(): () => void {
		if (this.#started) return () => undefined;
		this.#started = true;
		const sub = liveQuery(() => oasisDb().outbox.orderBy('createdAt').reverse().toArray()).subscribe({
			next: (items) => (this.#all = items),
			error: (e) => console.warn('outbox watch failed', e)
		});
		const flush = () => void this.flush();
		window.addEventListener('online', flush);
		const timer = setInterval(() => navigator.onLine && flush(), PERIOD_MS);
		flush();
		return () => {
			sub.unsubscribe();
			window.removeEventListener('online', flush);
			clearInterval(timer);
			this.#started = false;
		};
	}

	flush(): Promise<FlushResult> {
		return this.#flusher.flush();
	}
}

export const outbox = new Outbox();
