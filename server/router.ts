/** The app router: every domain router merged. The web app imports only `type AppRouter`. */
import { router } from './trpc.js';
import { systemRouter } from './system/system.router.js';
import { authRouter } from './users/auth.router.js';
import { tasksRouter } from './trees/tasks.router.js';
import { messagesRouter } from './trees/messages.router.js';
import { moderationRouter } from './trees/moderation.router.js';
import { communityRouter } from './community/community.router.js';
import { exchangeRouter, snapshotRouter } from './exchange/exchange.router.js';
import { trainingRouter } from './training/training.router.js';

export const appRouter = router({
	system: systemRouter,
	auth: authRouter,
	tasks: tasksRouter,
	messages: messagesRouter,
	moderation: moderationRouter,
	community: communityRouter,
	exchange: exchangeRouter,
	snapshot: snapshotRouter,
	training: trainingRouter
});

export type AppRouter = typeof appRouter;
