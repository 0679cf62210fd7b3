/**
 * The server's process-wide state: the database, opened and migrated once on first use.
 * Used by the SvelteKit endpoint that serves tRPC, by the fast API handler and by the CLI.
 * Loading this module (SvelteKit's init hook does) also leaves the fast API handler where
 * scripts/serve.mjs finds it (see serve.ts).
 */
import { openDatabase, type OpenDatabase } from './db/database.js';
import { registerApiHandler } from './serve.js';

registerApiHandler();

// When the server stops (adapter-node and scripts/serve.mjs emit this once connections have
// closed), close the database too: PostgreSQL's idle pool connections would otherwise keep the
// process alive for their idle timeout, and SQLite's checkpoint thread checkpoints once more.
process.once('sveltekit:shutdown', () => {
	void closeDatabase().catch((error: unknown) => console.error('[oasis] closing the database failed:', error));
});

let current: Promise<OpenDatabase> | undefined;

/** The process's database (DATABASE_URL), opened and migrated on the first call. */
export function getDatabase(): Promise<OpenDatabase> {
	current ??= openDatabase(process.env.DATABASE_URL, { backgroundCheckpoints: true }).catch((error) => {
		current = undefined;
		throw error;
	});
	return current;
}

/** Close the process's database (the next `getDatabase` opens it again). */
export async function closeDatabase(): Promise<void> {
	const opened = current;
	current = undefined;
	if (opened) await (await opened).close();
}
