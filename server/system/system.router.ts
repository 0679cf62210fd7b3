import { publicProcedure, router } from '../trpc.js';
import { health } from './health.js';

export const systemRouter = router({
	health: publicProcedure.query(({ ctx }) => health(ctx.db, ctx.dialect))
});
