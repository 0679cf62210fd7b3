import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import type { RequestHandler } from './$types';
import { apiHandlerOptions } from '../../../../../server/http';

export const prerender = false;

/** `npm start` answers most API calls before SvelteKit (server/serve.ts); the same options here. */
const handler: RequestHandler = ({ request }) => fetchRequestHandler({ ...apiHandlerOptions, req: request });

export const GET = handler;
export const POST = handler;
