/** `tasks.*`: request, availability, my open tasks, ack, nack and the three kinds of submission. */
import { z } from 'zod';
import { authedProcedure, router } from '../trpc.js';
import { ackTask, availability, nackTask, openTasks, requestTask } from './tasks.service.js';
import { submitLabels, submitRanking, submitReply } from './submit.service.js';
import { TASK_TYPES } from './work.js';

const lang = z.string().trim().min(2).max(32).default('en');
const taskId = z.guid();
/** The client's own id for a submission: a repeat with the same id returns the first result. */
const clientId = z.string().trim().min(1).max(200);

export const tasksRouter = router({
	request: authedProcedure
		.input(z.object({ type: z.enum([...TASK_TYPES, 'random']).default('random'), lang }))
		.mutation(({ ctx, input }) => requestTask(ctx, ctx.user.id, input)),
	availability: authedProcedure.input(z.object({ lang })).query(({ ctx, input }) => availability(ctx, ctx.user.id, input.lang)),
	/** The caller's open tasks (unanswered, unskipped, unexpired), oldest first: what a client lost can be found again. */
	open: authedProcedure
		.input(z.object({ lang: z.string().trim().min(2).max(32).optional() }).default({}))
		.query(({ ctx, input }) => openTasks(ctx.db, ctx.user.id, ctx.now(), { lang: input.lang })),
	ack: authedProcedure.input(z.object({ taskId, frontendMessageId: clientId })).mutation(({ ctx, input }) => ackTask(ctx, ctx.user.id, input)),
	nack: authedProcedure.input(z.object({ taskId, reason: z.string().trim().min(1).max(512) })).mutation(({ ctx, input }) => nackTask(ctx, ctx.user.id, input)),
	submitReply: authedProcedure
		.input(z.object({ taskId, clientId, text: z.string().max(20_000), lang: z.string().trim().min(2).max(32).optional() }))
		.mutation(({ ctx, input }) => submitReply(ctx, ctx.user.id, input)),
	submitRanking: authedProcedure
		.input(z.object({ taskId, clientId, ranking: z.array(z.number().int()).max(100), notRankable: z.boolean().default(false) }))
		.mutation(({ ctx, input }) => submitRanking(ctx, ctx.user.id, input)),
	submitLabels: authedProcedure
		.input(z.object({ taskId, clientId, messageId: z.guid(), labels: z.record(z.string(), z.number()), text: z.string().max(2000).optional() }))
		.mutation(({ ctx, input }) => submitLabels(ctx, ctx.user.id, input))
});
