/** The tRPC client. Only the router's *type* is imported, so no server code reaches the browser. */
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import type { AppRouter } from '../../../server/router';

export const api = createTRPCClient<AppRouter>({
	links: [
		// Subscriptions (training.watch) arrive as server-sent events; everything else is batched.
		splitLink({
			condition: (op) => op.type === 'subscription',
			true: httpSubscriptionLink({ url: '/api/trpc' }),
			false: httpBatchLink({
				url: '/api/trpc',
				headers: () => ({ 'x-oasis-csrf': '1' }),
				fetch: (url, init) => fetch(url, { ...init, credentials: 'same-origin' })
			})
		})
	]
});
