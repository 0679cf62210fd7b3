/** `moderation.*`: tree halting, subtree deletion, edits, bans, the flagged queue, settings. */
import { z } from 'zod';
import { adminProcedure, authedProcedure, moderatorProcedure, router } from '../trpc.js';
import { editMessage, flaggedQueue, haltTree, markFlagProcessed, purgeUser, resumeTree, retryFailedScoring, setBanned, setSubtreeDeleted } from './moderation.service.js';
import { getTreeSettings, treeSettingsPatchSchema, updateTreeSettings } from './settings.js';
import { searchUsers, setRole, userRecord } from '../users/users.service.js';

const id = z.guid();

export const moderationRouter = router({
	haltTree: moderatorProcedure.input(z.object({ treeId: id })).mutation(({ ctx, input }) => haltTree(ctx, ctx.user.id, input.treeId)),
	resumeTree: moderatorProcedure.input(z.object({ treeId: id })).mutation(({ ctx, input }) => resumeTree(ctx, ctx.user.id, input.treeId)),
	deleteMessage: moderatorProcedure.input(z.object({ messageId: id })).mutation(({ ctx, input }) => setSubtreeDeleted(ctx, ctx.user.id, input.messageId, true)),
	undeleteMessage: moderatorProcedure.input(z.object({ messageId: id })).mutation(({ ctx, input }) => setSubtreeDeleted(ctx, ctx.user.id, input.messageId, false)),
	/** Authors may edit their own messages too; moderators any. */
	editMessage: authedProcedure
		.input(z.object({ messageId: id, text: z.string().max(20_000) }))
		.mutation(({ ctx, input }) => editMessage(ctx, { id: ctx.user.id, moderator: ctx.user.role === 'moderator' || ctx.user.role === 'admin' }, input)),
	banUser: moderatorProcedure.input(z.object({ userId: id, banned: z.boolean().default(true) })).mutation(({ ctx, input }) => setBanned(ctx, ctx.user.id, input.userId, input.banned)),
	/** Users whose display name contains `q` (or whose id is `q`), optionally of one role. */
	users: moderatorProcedure
		.input(
			z.object({
				q: z.string().trim().max(200).default(''),
				role: z.enum(['general', 'moderator', 'admin', 'banned']).optional(),
				offset: z.number().int().min(0).max(100_000).default(0),
				limit: z.number().int().min(1).max(100).default(25)
			})
		)
		.query(({ ctx, input }) => searchUsers(ctx.db, input)),
	/** One user's record: role, ban state, settings and counts. */
	user: moderatorProcedure.input(z.object({ userId: id })).query(({ ctx, input }) => userRecord(ctx.db, input.userId)),
	/** Set a user's role (admins; not their own). */
	setRole: adminProcedure
		.input(z.object({ userId: id, role: z.enum(['general', 'moderator', 'admin', 'banned']) }))
		.mutation(({ ctx, input }) => setRole(ctx, ctx.user.id, input.userId, input.role)),
	purgeUser: adminProcedure.input(z.object({ userId: id })).mutation(({ ctx, input }) => purgeUser(ctx, ctx.user.id, input.userId)),
	flagged: moderatorProcedure
		.input(z.object({ processed: z.boolean().default(false), limit: z.number().int().min(1).max(500).default(100) }))
		.query(({ ctx, input }) => flaggedQueue(ctx.db, input)),
	markFlagProcessed: moderatorProcedure.input(z.object({ messageId: id })).mutation(({ ctx, input }) => markFlagProcessed(ctx.db, input.messageId)),
	/** Put every scoring_failed tree back into ranking (scored again at once). */
	retryScoring: adminProcedure.mutation(({ ctx }) => retryFailedScoring(ctx)),
	treeSettings: moderatorProcedure.query(({ ctx }) => getTreeSettings(ctx.db)),
	updateTreeSettings: adminProcedure
		.input(z.object({ changes: treeSettingsPatchSchema, reset: z.boolean().default(false) }))
		.mutation(({ ctx, input }) => updateTreeSettings(ctx.db, input.changes, { reset: input.reset }))
});
