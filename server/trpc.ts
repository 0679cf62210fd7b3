/**
 * tRPC is initialised once, here. Domain routers use only the procedures exported below:
 * `publicProcedure`, `authedProcedure` (signed in, not banned), `moderatorProcedure` and
 * `adminProcedure`. Domain errors become TRPCErrors in one place (`domainErrors`).
 *
 * CSRF: the session cookie is SameSite=Lax, and every mutation must carry the header
 * `x-oasis-csrf: 1`. A cross-site page cannot add a custom header without a CORS preflight,
 * which this server never grants, and an HTML form cannot add one at all.
 */
import { initTRPC, TRPCError, type TRPC_ERROR_CODE_KEY } from '@trpc/server';
import { ZodError, z } from 'zod';
import type { Context } from './context.js';
import { DomainError, type ErrorKind } from './errors.js';
import { inputIssues } from './issues.js';
import type { SessionUser } from './users/sessions.js';
import type { Role } from './users/users.table.js';

export const CSRF_HEADER = 'x-oasis-csrf';

const t = initTRPC.context<Context>().create({
	errorFormatter({ shape, error, input }) {
		return {
			...shape,
			data: {
				...shape.data,
				// A client shows these next to the fields that need fixing.
				zodError: error.cause instanceof ZodError ? z.flattenError(error.cause) : null,
				// The same failures as codes and limits, for clients to word in their own language.
				issues: error.cause instanceof ZodError && error.code === 'BAD_REQUEST' ? inputIssues(error.cause, input) : null,
				rule: error.cause && 'rule' in error.cause ? String((error.cause as { rule: unknown }).rule) : null
			}
		};
	}
});

const CODES: Record<ErrorKind, TRPC_ERROR_CODE_KEY> = {
	bad_request: 'BAD_REQUEST',
	unauthorized: 'UNAUTHORIZED',
	forbidden: 'FORBIDDEN',
	not_found: 'NOT_FOUND',
	conflict: 'CONFLICT',
	precondition: 'PRECONDITION_FAILED',
	too_many_requests: 'TOO_MANY_REQUESTS'
};

function toTrpc(error: DomainError): TRPCError {
	return new TRPCError({ code: CODES[error.kind], message: error.message, cause: error });
}

/** The one place where a DomainError becomes a TRPCError (with the error as `cause`). */
function mapDomainError<R extends { ok: boolean }>(result: R): R {
	const error = (result as { error?: { cause?: unknown } }).error;
	if (!result.ok && error?.cause instanceof DomainError) throw toTrpc(error.cause);
	return result;
}

/**
 * Every procedure's checks in one middleware (each middleware level costs tRPC a few object
 * copies per call): the CSRF header on mutations, then domain errors mapped to tRPC codes.
 */
const publicChecks = t.middleware(async ({ ctx, type, next }) => {
	if (type === 'mutation' && ctx.headers.get(CSRF_HEADER) !== '1') throw toTrpc(new DomainError('csrf'));
	return mapDomainError(await next());
});

/** `publicChecks`, and a signed-in user who is not banned (`ctx.user` narrowed to non-null). */
const authedChecks = t.middleware(async ({ ctx, type, next }) => {
	if (type === 'mutation' && ctx.headers.get(CSRF_HEADER) !== '1') throw toTrpc(new DomainError('csrf'));
	if (!ctx.user) throw toTrpc(new DomainError('not_signed_in'));
	if (ctx.user.role === 'banned') throw toTrpc(new DomainError('banned'));
	return mapDomainError(await next({ ctx: { user: ctx.user as SessionUser } }));
});

function requireRole(roles: readonly Role[]) {
	return t.middleware(({ ctx, next }) => {
		if (!ctx.user || !roles.includes(ctx.user.role)) throw toTrpc(new DomainError('role_required', roles.join(' or ')));
		return next();
	});
}

export const router = t.router;
export const middleware = t.middleware;
export const createCallerFactory = t.createCallerFactory;
/** Anyone; mutations still need the CSRF header. */
export const publicProcedure = t.procedure.use(publicChecks);
/** A signed-in user who is not banned; `ctx.user` is non-null. */
export const authedProcedure = t.procedure.use(authedChecks);
/** Moderators and admins. */
export const moderatorProcedure = authedProcedure.use(requireRole(['moderator', 'admin']));
/** Admins only. */
export const adminProcedure = authedProcedure.use(requireRole(['admin']));
