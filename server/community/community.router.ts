/** `community.*`: leaderboard, trollboard, my figures and contributions, site statistics. */
import { z } from 'zod';
import { authedProcedure, moderatorProcedure, publicProcedure, router } from '../trpc.js';
import { contributions, leaderboard, myStats, siteStats, trollboard } from './stats.service.js';

const frame = z.enum(['day', 'week', 'month', 'total']).default('total');
const limit = z.number().int().min(1).max(500).default(100);

export const communityRouter = router({
	leaderboard: publicProcedure.input(z.object({ frame, limit })).query(({ ctx, input }) => leaderboard(ctx, input)),
	trollboard: moderatorProcedure.input(z.object({ frame, limit })).query(({ ctx, input }) => trollboard(ctx, input)),
	myStats: authedProcedure.query(({ ctx }) => myStats(ctx, ctx.user.id)),
	myContributions: authedProcedure
		.input(z.object({ limit: z.number().int().min(1).max(200).default(50), before: z.iso.datetime().optional() }))
		.query(({ ctx, input }) => contributions(ctx.db, ctx.user.id, input)),
	stats: publicProcedure.query(({ ctx }) => siteStats(ctx.db))
});
