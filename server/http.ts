/**
 * How an HTTP request reaches tRPC: the context it builds and the options both HTTP entry
 * points pass to `fetchRequestHandler` (the SvelteKit endpoint and the fast handler, serve.ts).
 */
import type { FetchHandlerRequestOptions } from '@trpc/server/adapters/fetch';
import type { TRPCRequestInfo } from '@trpc/server/http';
import { getDatabase } from './app.js';
import { createContext, invalidateSessionCache, type Context } from './context.js';
import { appRouter, type AppRouter } from './router.js';

/** Calls whose sessions may come from the short session cache: the volunteer's task loop. */
const isTaskCall = (path: string) => path.startsWith('tasks.');

/**
 * Build a request's context. The session of a request made only of `tasks.*` calls may be a
 * lookup from the last SESSION_CACHE_MS (context.ts); every other request reads the table.
 */
export async function createRequestContext(req: Request, resHeaders: Headers, info?: TRPCRequestInfo): Promise<Context> {
	const { db, dialect } = await getDatabase();
	const cacheSession = !!info && info.calls.length > 0 && info.calls.every((call) => isTaskCall(call.path));
	return createContext({ db, dialect, headers: req.headers, resHeaders, cacheSession });
}

/** Everything but the request: what the API's HTTP entry points hand `fetchRequestHandler`. */
export const apiHandlerOptions = {
	endpoint: '/api/trpc',
	router: appRouter,
	createContext: ({ req, resHeaders, info }) => createRequestContext(req, resHeaders, info),
	// Runs once a request's calls are done: a mutation outside `tasks.*` (sign-out, a ban, a role
	// or profile change…) may have changed who a session is, so cached sessions are dropped.
	responseMeta({ info, type }) {
		if (type !== 'query' && info?.calls.some((call) => !isTaskCall(call.path))) invalidateSessionCache();
		return {};
	},
	onError({ error, path }) {
		if (error.code === 'INTERNAL_SERVER_ERROR') console.error(`tRPC ${path ?? '?'}:`, error);
	}
} satisfies Omit<FetchHandlerRequestOptions<AppRouter>, 'req'>;
