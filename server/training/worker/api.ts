/**
 * What a training worker needs from the server — four `training.*` procedures and a job's
 * state — as one small interface, with adapters for a tRPC client (HTTP: the CLI, a browser
 * page) and for an in-process caller (tests). Platform-neutral: no Node imports.
 */
import type { TrainingExample } from '../datasets.js';
import type { JobInfo, Lease, SubmitResult } from '../manager.js';

/** The server as a worker sees it. */
export interface WorkerApi {
	lease(input: { workerId: string; jobId?: string }): Promise<Lease>;
	parameters(input: { jobId: string; version: number }): Promise<{ count: number; f32: string }>;
	examples(input: { jobId: string; indices: number[] }): Promise<TrainingExample[]>;
	submit(input: { leaseId: string; workerId: string; delta: string; trainLoss: number | null }): Promise<SubmitResult>;
	job(jobId: string): Promise<Pick<JobInfo, 'id' | 'name' | 'state'>>;
}

/** The `training` procedures of an in-process tRPC caller (`createCaller(appRouter)(ctx)`). */
export interface TrainingCaller {
	training: {
		lease(input: { workerId: string; jobId?: string }): Promise<Lease>;
		parameters(input: { jobId: string; version: number }): Promise<{ count: number; f32: string }>;
		examples(input: { jobId: string; indices: number[] }): Promise<TrainingExample[]>;
		submit(input: { leaseId: string; workerId: string; delta: string; trainLoss: number | null }): Promise<SubmitResult>;
		get(input: { jobId: string }): Promise<{ job: JobInfo }>;
	};
}

/** A worker API over an in-process caller. */
export function callerApi(caller: TrainingCaller): WorkerApi {
	const t = caller.training;
	return {
		lease: (input) => t.lease(input),
		parameters: (input) => t.parameters(input),
		examples: (input) => t.examples(input),
		submit: (input) => t.submit(input),
		job: async (jobId) => (await t.get({ jobId })).job
	};
}

/** The `training` procedures of a tRPC client (`createTRPCClient<AppRouter>`). */
export interface TrainingClient {
	training: {
		lease: { mutate(input: { workerId: string; jobId?: string }): Promise<Lease> };
		parameters: { query(input: { jobId: string; version: number }): Promise<{ count: number; f32: string }> };
		examples: { query(input: { jobId: string; indices: number[] }): Promise<TrainingExample[]> };
		submit: { mutate(input: { leaseId: string; workerId: string; delta: string; trainLoss: number | null }): Promise<SubmitResult> };
		get: { query(input: { jobId: string }): Promise<{ job: JobInfo }> };
	};
}

/** Indices per `examples` query (they travel in the URL of a GET). */
const INDICES_PER_QUERY = 200;

/** A worker API over a tRPC client. */
export function clientApi(client: TrainingClient): WorkerApi {
	const t = client.training;
	return {
		lease: (input) => t.lease.mutate(input),
		parameters: (input) => t.parameters.query(input),
		async examples({ jobId, indices }) {
			const out: TrainingExample[] = [];
			for (let i = 0; i < indices.length; i += INDICES_PER_QUERY) out.push(...(await t.examples.query({ jobId, indices: indices.slice(i, i + INDICES_PER_QUERY) })));
			return out;
		},
		submit: (input) => t.submit.mutate(input),
		job: async (jobId) => (await t.get.query({ jobId })).job
	};
}

/**
 * The server's rule code of a failed call (server/errors.ts), from a tRPC client error
 * (`data.rule`) or a caller's (`cause.rule`); null for anything else (network, bugs).
 */
export function ruleOfError(error: unknown): string | null {
	const e = error as { data?: { rule?: unknown } | null; cause?: { rule?: unknown } | null } | null;
	const rule = e?.data?.rule ?? e?.cause?.rule;
	return typeof rule === 'string' ? rule : null;
}
