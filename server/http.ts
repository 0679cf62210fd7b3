/** Builds the tRPC context for an HTTP request (the SvelteKit endpoint calls this). */
import { getDatabase } from './app.js';
import { createContext, type Context } from './context.js';

export async function createRequestContext(req: Request, resHeaders: Headers): Promise<Context> {
	const { db, dialect } = await getDatabase();
	return createContext({ db, dialect, headers: req.headers, resHeaders });
}
