/** `auth.*`: sign-up, sign-in, development login, sign-out and `me`. Sets the session cookie. */
import { z } from 'zod';
import { authedProcedure, publicProcedure, router } from '../trpc.js';
import type { Context } from '../context.js';
import { devLogin, devLoginEnabled, signIn, signOut, signUp, type SignedIn } from './auth.service.js';
import { clearedSessionCookie, sessionCookie } from './cookies.js';
import { deleteAccount, getSettings, updateSettings } from './account.service.js';
import { isLanguageCode, LANGUAGE_CODES } from './languages.js';

const email = z.email().max(320);
/**
 * A language code from the list (case as listed, so `pt-br` is refused: send `pt-BR`). Kept here,
 * not in languages.ts, which the web app imports: zod must stay out of the contribution pages' bundle.
 */
export const languageCodeSchema = z.string().refine(isLanguageCode, { message: `use one of ${LANGUAGE_CODES.join(', ')}` });
const password = z.string().min(8, 'use at least 8 characters').max(256);

function startSession(ctx: Context, signed: SignedIn) {
	ctx.resHeaders.append('set-cookie', sessionCookie(signed.token, signed.maxAgeSec));
	return { user: signed.user };
}

/** Account procedures. Mutations need the CSRF header like every other. */
export const authRouter = router({
	signUp: publicProcedure
		.input(z.object({ email, password, displayName: z.string().trim().min(1).max(100) }))
		.mutation(async ({ ctx, input }) => startSession(ctx, await signUp(ctx, input))),
	signIn: publicProcedure
		.input(z.object({ email, password: z.string().min(1).max(256) }))
		.mutation(async ({ ctx, input }) => startSession(ctx, await signIn(ctx, input))),
	devLogin: publicProcedure
		.input(z.object({ name: z.string().trim().min(1).max(100), role: z.enum(['general', 'moderator', 'admin', 'banned']).optional() }))
		.mutation(async ({ ctx, input }) => startSession(ctx, await devLogin(ctx, input))),
	/** Whether the development login is on, so the sign-in page can offer it. */
	devLoginEnabled: publicProcedure.query(() => devLoginEnabled()),
	signOut: authedProcedure.mutation(async ({ ctx }) => {
		await signOut(ctx, ctx.user.sessionId);
		ctx.resHeaders.append('set-cookie', clearedSessionCookie());
		return { ok: true as const };
	}),
	/** The signed-in user, or null (banned users see themselves, with role `banned`). `language` null: use the browser's. */
	me: publicProcedure.query(({ ctx }) => (ctx.user ? { id: ctx.user.id, displayName: ctx.user.displayName, role: ctx.user.role, language: ctx.user.language } : null)),
	/** The signed-in user's account settings. */
	settings: authedProcedure.query(({ ctx }) => getSettings(ctx.db, ctx.user.id)),
	/** Change some settings (absent fields stay; `language: null` goes back to the browser's language). */
	updateSettings: authedProcedure
		.input(
			z.object({
				displayName: z.string().trim().min(1, 'write at least one character').max(100).optional(),
				language: languageCodeSchema.nullable().optional(),
				showOnLeaderboard: z.boolean().optional()
			})
		)
		.mutation(({ ctx, input }) => updateSettings(ctx.db, ctx.user.id, input)),
	/** Delete the account: messages stay, the person is anonymised and signed out everywhere. */
	deleteAccount: authedProcedure.input(z.object({ confirm: z.literal(true) })).mutation(async ({ ctx }) => {
		const result = await deleteAccount(ctx, ctx.user.id);
		ctx.resHeaders.append('set-cookie', clearedSessionCookie());
		return result;
	})
});
