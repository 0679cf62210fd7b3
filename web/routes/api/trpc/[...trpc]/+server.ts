import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import type { RequestHandler } from './$types';
import { appRouter } from '../../../../../server/router';
import { createRequestContext } from '../../../../../server/http';

export const prerender = false;

const handler: RequestHandler = ({ request }) =>
	fetchRequestHandler({
		endpoint: '/api/trpc',
		req: request,
		router: appRouter,
		createContext: ({ req, resHeaders }) => createRequestContext(req, resHeaders),
		onError({ error, path }) {
			if (error.code === 'INTERNAL_SERVER_ERROR') console.error(`tRPC ${path ?? '?'}:`, error);
		}
	});

export const GET = handler;
export const POST = handler;
