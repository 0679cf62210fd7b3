/** `messages.*`: read a message or tree, react with an emoji, report. */
import { z } from 'zod';
import { authedProcedure, publicProcedure, router } from '../trpc.js';
import type { Context } from '../context.js';
import { react } from './emoji.service.js';
import { emojiReactionInputSchema } from './emojis.js';
import { listMessages, readMessage, readTree, reportMessage } from './messages.service.js';
import { revisions } from './moderation.service.js';
import { shareConversation } from './share.service.js';

function viewer(ctx: Context) {
	return ctx.user ? { id: ctx.user.id, moderator: ctx.user.role === 'moderator' || ctx.user.role === 'admin' } : null;
}

export const messagesRouter = router({
	get: publicProcedure.input(z.object({ id: z.guid() })).query(({ ctx, input }) => readMessage(ctx.db, viewer(ctx), input.id)),
	/** Recent messages, newest first: filter by language, role, text, or only mine; page with `nextCursor`. */
	list: publicProcedure
		.input(
			z.object({
				lang: z.string().trim().min(2).max(32).optional(),
				role: z.enum(['prompter', 'assistant']).optional(),
				mine: z.boolean().default(false),
				q: z.string().trim().max(200).optional(),
				cursor: z.string().max(400).optional(),
				limit: z.number().int().min(1).max(50).default(20)
			})
		)
		.query(({ ctx, input }) => listMessages(ctx.db, viewer(ctx), input)),
	tree: publicProcedure.input(z.object({ id: z.guid() })).query(({ ctx, input }) => readTree(ctx.db, viewer(ctx), input.id)),
	revisions: publicProcedure.input(z.object({ id: z.guid() })).query(async ({ ctx, input }) => {
		await readMessage(ctx.db, viewer(ctx), input.id); // 404 unless visible to this viewer
		return revisions(ctx.db, input.id);
	}),
	emoji: authedProcedure.input(emojiReactionInputSchema).mutation(({ ctx, input }) => react(ctx, ctx.user.id, input)),
	report: authedProcedure
		.input(z.object({ messageId: z.guid(), labels: z.record(z.string(), z.number()), text: z.string().trim().max(2000).default('') }))
		.mutation(({ ctx, input }) => reportMessage(ctx, ctx.user.id, input)),
	/** Share a chat conversation as a new tree (assistant turns synthetic, with their model). */
	share: authedProcedure
		.input(
			z.object({
				clientId: z.string().trim().min(1).max(200),
				lang: z.string().trim().min(2).max(32).default('en'),
				turns: z.array(z.object({ role: z.enum(['prompter', 'assistant']), text: z.string().max(20_000), modelName: z.string().trim().min(1).max(200).optional() })).min(1).max(64)
			})
		)
		.mutation(({ ctx, input }) => shareConversation(ctx, ctx.user.id, input))
});
