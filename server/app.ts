/**
 * The server's process-wide state: the database, opened and migrated once on first use.
 * Used by the SvelteKit endpoint that serves tRPC and by the CLI.
 */
import { openDatabase, type OpenDatabase } from './db/database.js';

let current: Promise<OpenDatabase> | undefined;

/** The process's database (DATABASE_URL), opened and migrated on the first call. */
export function getDatabase(): Promise<OpenDatabase> {
	current ??= openDatabase(process.env.DATABASE_URL).catch((error) => {
		current = undefined;
		throw error;
	});
	return current;
}

export async function closeDatabase(): Promise<void> {
	const opened = current;
	current = undefined;
	if (opened) await (await opened).close();
}
