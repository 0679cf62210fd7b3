/**
 * `training.*`: moderators create, pause, resume and cancel jobs; everyone lists them and reads
 * their per-round metrics; signed-in workers lease work, download parameters and examples, and
 * submit deltas; anyone reads the compute leaderboard.
 *
 * Binary data travels as base64 in JSON (4/3 of the bytes, i.e. +33 % on the wire, before any HTTP
 * compression): the tRPC mount is a plain fetch handler, and a delta is small (8-bit, ~0.26 of
 * fp32). Every byte count the server reports (`bytesReceived`) is the real decoded delta size.
 *
 * Metrics: `metrics({jobId, sinceRound})` is a query to poll; `watch` is a tRPC v11 subscription
 * (async generator, served as SSE by `fetchRequestHandler` with `httpSubscriptionLink`) that yields
 * each round once it closes (woken by this process's round closes, and polling the database
 * every few seconds for rounds closed by other processes).
 */
import { z } from 'zod';
import type { Context } from '../context.js';
import { authedProcedure, moderatorProcedure, publicProcedure, router } from '../trpc.js';
import { toBase64, fromBase64, DeltaFormatError } from './codec.js';
import { TrainingManager, createJobSchema, onTrainingChange, type RoundMetrics } from './manager.js';
import { adapterVersions, finishedAdapters } from './peft.js';
import { trainingRuntime } from './runtime.js';

/** Base64 of at most 48 MiB of delta. */
const MAX_DELTA_BASE64 = 64 * 1024 * 1024;
const POLL_MS = 3000;

const jobId = z.string().uuid();
const workerId = z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'a worker id is 1–100 letters, digits, ".", "_" or "-"');

function manager(ctx: Context): TrainingManager {
	return new TrainingManager({ db: ctx.db, dialect: ctx.dialect, now: ctx.now, random: ctx.random, limiter: ctx.limiter }, trainingRuntime());
}

export const trainingRouter = router({
	create: moderatorProcedure.input(createJobSchema).mutation(({ ctx, input }) => manager(ctx).createJob(input, ctx.user.id)),
	pause: moderatorProcedure.input(z.object({ jobId })).mutation(({ ctx, input }) => manager(ctx).pause(input.jobId)),
	resume: moderatorProcedure.input(z.object({ jobId })).mutation(({ ctx, input }) => manager(ctx).resume(input.jobId)),
	cancel: moderatorProcedure.input(z.object({ jobId })).mutation(({ ctx, input }) => manager(ctx).cancel(input.jobId)),
	list: publicProcedure.query(({ ctx }) => manager(ctx).list()),
	get: publicProcedure.input(z.object({ jobId })).query(async ({ ctx, input }) => {
		const m = manager(ctx);
		return { job: await m.get(input.jobId), rounds: await m.metrics(input.jobId) };
	}),
	metrics: publicProcedure
		.input(z.object({ jobId, sinceRound: z.number().int().min(-1).default(-1) }))
		.query(({ ctx, input }) => manager(ctx).metrics(input.jobId, input.sinceRound)),
	/** Closed rounds as they close (those after `sinceRound` first). Ends when the job does. */
	watch: publicProcedure.input(z.object({ jobId, sinceRound: z.number().int().min(-1).default(-1) })).subscription(async function* ({ ctx, input, signal }) {
		const m = manager(ctx);
		let since = input.sinceRound;
		let wake: (() => void) | null = null;
		const off = onTrainingChange((id) => {
			if (id === input.jobId) wake?.();
		});
		const abort = () => wake?.();
		signal?.addEventListener('abort', abort);
		try {
			while (!signal?.aborted) {
				const rounds = (await m.metrics(input.jobId, since)).filter((r) => r.state === 'closed');
				for (const r of rounds) {
					yield r satisfies RoundMetrics;
					since = r.round;
				}
				const job = await m.get(input.jobId);
				if (job.state === 'finished' || job.state === 'cancelled' || job.state === 'failed') return;
				await new Promise<void>((resolve) => {
					const timer = setTimeout(resolve, POLL_MS);
					wake = () => {
						clearTimeout(timer);
						resolve();
					};
				});
				wake = null;
			}
		} finally {
			off();
			signal?.removeEventListener('abort', abort);
		}
	}),
	/** A lease on a work unit for this worker (the one it holds, or a free or expired one). */
	lease: authedProcedure.input(z.object({ workerId, jobId: jobId.optional() })).mutation(({ ctx, input }) => manager(ctx).requestWork(ctx.user.id, input.workerId, input.jobId)),
	/** A parameter version: raw little-endian f32, base64. */
	parameters: authedProcedure.input(z.object({ jobId, version: z.number().int().min(0) })).query(async ({ ctx, input }) => {
		const params = await manager(ctx).parameters(input.jobId, input.version);
		return { jobId: input.jobId, version: input.version, count: params.length, f32: toBase64(new Uint8Array(params.buffer, params.byteOffset, params.byteLength)) };
	}),
	/** Train-split examples by index (a lease's batches). */
	examples: authedProcedure
		.input(z.object({ jobId, indices: z.array(z.number().int().min(0)).min(1).max(10_000) }))
		.query(({ ctx, input }) => manager(ctx).examples(input.jobId, input.indices)),
	/** Send a delta (codec.ts bytes, base64) for a lease. Rejections are answers, not errors. */
	submit: authedProcedure
		.input(
			z.object({
				leaseId: z.string().uuid(),
				workerId,
				delta: z.string().min(1).max(MAX_DELTA_BASE64),
				trainLoss: z.number().nullable().default(null)
			})
		)
		.mutation(({ ctx, input }) => {
			let bytes: Uint8Array;
			try {
				bytes = fromBase64(input.delta);
			} catch (error) {
				if (!(error instanceof DeltaFormatError)) throw error;
				bytes = new Uint8Array(0); // recorded as a corrupt update
			}
			return manager(ctx).submit(ctx.user.id, { leaseId: input.leaseId, workerId: input.workerId, delta: bytes, trainLoss: input.trainLoss });
		}),
	workers: publicProcedure.input(z.object({ jobId })).query(({ ctx, input }) => manager(ctx).workers(input.jobId)),
	/** Accepted tokens per user (one job or all). */
	leaderboard: publicProcedure
		.input(z.object({ jobId: jobId.optional(), limit: z.number().int().min(1).max(1000).default(100) }))
		.query(({ ctx, input }) => manager(ctx).leaderboard(input.jobId, input.limit)),
	/** A job's versions with a PEFT LoRA export (GET /api/training/jobs/{id}/adapter/v{n}/…; peft.ts). */
	adapterVersions: publicProcedure.input(z.object({ jobId })).query(({ ctx, input }) => adapterVersions(manager(ctx), input.jobId)),
	/** Finished LoRA jobs' newest adapters with their files' sizes and SHA-256 (the chat offers them). */
	adapters: publicProcedure
		.input(z.object({ baseModel: z.string().min(1).max(200).optional() }))
		.query(({ ctx, input }) => finishedAdapters(manager(ctx), input.baseModel))
});
