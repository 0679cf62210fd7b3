import type { ServerInit } from '@sveltejs/kit';
import { building } from '$app/environment';
import { getDatabase } from '../server/app';

/** Open and migrate the database before the server takes requests; a bad DATABASE_URL stops start-up. */
export const init: ServerInit = async () => {
	if (building) return;
	try {
		const { dialect, location } = await getDatabase();
		console.error(`[oasis] Database ready (${dialect}: ${location}).`);
	} catch (error) {
		console.error(`[oasis] Cannot start: ${(error as Error).message}`);
		process.exit(1);
	}
};
