/** The app router: every domain router merged. The web app imports only `type AppRouter`. */
import { router } from './trpc.js';
import { systemRouter } from './system/system.router.js';

export const appRouter = router({
	system: systemRouter
});

export type AppRouter = typeof appRouter;
