/**
 * The training worker's loop, shared by `npx oasis worker` (Node) and a browser page: lease a
 * unit → download the round's parameters and the unit's examples → train H inner steps locally
 * (AdamW, ./local.ts) → `delta = θ_local − θ` → 8-bit codec → submit; report the training loss
 * and tokens; again. Platform-neutral: the server is a `WorkerApi`, the model a `LocalTrainer`,
 * and progress goes to `onEvent` (the CLI prints JSON lines) and `log` (words).
 *
 * What happens when things go wrong:
 * - no work (every unit of the open rounds is leased or done), or the job is paused: wait and
 *   ask again, backing off from `backoff.initialMs` to `backoff.maxMs` (doubling);
 * - the lease was lost (it expired and went to someone else, the round closed, the parameters
 *   moved on): drop the unit and ask for new work at once;
 * - the job finished, was cancelled or failed: stop serving it (the loop ends when no job it
 *   serves is left);
 * - not signed in / banned / a model this worker lacks: stop with a `WorkerFatal` that says
 *   what to do;
 * - anything else (network, server errors): log it in words, wait (backing off), try again.
 * - `signal` aborted: stop at once (training stops between steps; nothing is sent, the lease
 *   expires); `stopAfterUnit()` true: finish and send the current unit, then stop.
 */
import { encodeDelta, fromBase64, toBase64 } from '../codec.js';
import type { TrainingExample } from '../datasets.js';
import type { Lease, SubmitResult } from '../manager.js';
import { ruleOfError, type WorkerApi } from './api.js';
import { WorkerStopped, type LocalResult, type LocalTrainer } from './local.js';

/** Progress, one object per line in the CLI. */
export type WorkerEvent =
	| { event: 'lease'; jobId: string; round: number; unit: number; baseVersion: number; baseModel: string; steps: number; tokens: number; expires: string }
	| { event: 'step'; jobId: string; round: number; unit: number; step: number; of: number; loss: number; tokens: number; accuracy?: number }
	| {
			event: 'submitted';
			jobId: string;
			round: number;
			unit: number;
			status: SubmitResult['status'];
			reason: SubmitResult['reason'];
			detail: string | null;
			trainLoss: number;
			/** Preference jobs: the mean share of training pairs ranked right. */
			trainAccuracy?: number;
			tokens: number;
			bytes: number;
			norm: number | null;
			lossBefore: number | null;
			lossAfter: number | null;
			roundClosed: boolean;
			seconds: number;
	  }
	| { event: 'waiting'; reason: 'no_work' | 'paused' | 'error'; message: string; retryInSeconds: number }
	| { event: 'lease_lost'; jobId: string; message: string }
	| { event: 'job_over'; jobId: string; state: string }
	| { event: 'stopped'; reason: string; units: number; accepted: number; rejected: number };

/** A condition the worker cannot wait out: the message says what to do. */
export class WorkerFatal extends Error {
	override name = 'WorkerFatal';
}

/** What one attempt at a unit came to. */
export type UnitOutcome =
	| { kind: 'submitted'; lease: Lease; result: SubmitResult; local: LocalResult }
	| { kind: 'no_work'; message: string }
	| { kind: 'paused'; message: string }
	| { kind: 'over'; message: string }
	| { kind: 'lease_lost'; message: string };

export interface WorkerOptions {
	api: WorkerApi;
	/** 1–100 letters, digits, ".", "_" or "-"; a lease is held by (user, worker id). */
	workerId: string;
	/** Serve only these jobs, in this order (none: whatever the server hands out). */
	jobs?: readonly string[];
	/** The local trainer of a base model. @throws WorkerFatal when this worker lacks the model */
	trainerFor(baseModel: string): Promise<LocalTrainer>;
	onEvent?(event: WorkerEvent): void;
	log?(message: string): void;
	/** Waits `ms` or until `signal` aborts (tests pass a fake). */
	sleep?(ms: number, signal?: AbortSignal): Promise<void>;
	backoff?: { initialMs: number; maxMs: number };
	/** Encoded delta block size (codec.ts). */
	blockSize?: number;
}

/** Waits `ms`, or less if `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
	return new Promise((resolve) => {
		if (signal?.aborted) return resolve();
		const done = () => {
			clearTimeout(timer);
			signal?.removeEventListener('abort', done);
			resolve();
		};
		const timer = setTimeout(done, ms);
		signal?.addEventListener('abort', done, { once: true });
	});
}

/** Rules that end the worker, with what to do. */
const FATAL: Record<string, string> = {
	not_signed_in: 'the server does not know this session: sign in again (--session COOKIE, --email and --password, or --dev-login NAME on a development server)',
	banned: 'this account is banned from contributing',
	csrf: 'the server refused the request for a missing x-oasis-csrf header (is this an Oasis server?)'
};

/** One volunteer's worker. */
export class TrainingWorker {
	private readonly over = new Set<string>();
	/** DPO reference parameters (a job's version 0, immutable) of the last job that needed them. */
	private reference: { jobId: string; params: Float32Array } | null = null;
	private readonly log: (message: string) => void;
	private readonly emit: (event: WorkerEvent) => void;

	constructor(readonly o: WorkerOptions) {
		this.log = o.log ?? (() => undefined);
		this.emit = o.onEvent ?? (() => undefined);
	}

	/** A lease from the first served job with work, or why there is none. */
	async lease(): Promise<Lease | Exclude<UnitOutcome, { kind: 'submitted' }>> {
		const jobs = this.o.jobs?.length ? this.o.jobs.filter((j) => !this.over.has(j)) : [undefined];
		if (jobs.length === 0) return { kind: 'over', message: 'every job this worker serves has ended' };
		let paused: string | null = null;
		for (const jobId of jobs) {
			try {
				return await this.o.api.lease({ workerId: this.o.workerId, jobId });
			} catch (error) {
				const rule = ruleOfError(error);
				if (rule === 'training_no_work') continue;
				if (rule === 'training_job_state' && jobId) {
					const job = await this.o.api.job(jobId);
					if (job.state === 'paused' || job.state === 'queued') {
						paused = `job "${job.name}" is ${job.state}`;
						continue;
					}
					if (job.state !== 'running') {
						this.over.add(jobId);
						this.emit({ event: 'job_over', jobId, state: job.state });
						this.log(`job "${job.name}" is ${job.state}; no more work from it`);
						continue;
					}
					continue; // it resumed meanwhile: next turn
				}
				if (rule === 'training_job_not_found' && jobId) throw new WorkerFatal(`there is no training job ${jobId} on this server (check --jobs)`);
				throw error;
			}
		}
		if (this.o.jobs?.length && this.o.jobs.every((j) => this.over.has(j))) return { kind: 'over', message: 'every job this worker serves has ended' };
		if (paused) return { kind: 'paused', message: paused };
		return { kind: 'no_work', message: 'no training work right now (every unit of the open rounds is taken or done)' };
	}

	/** Downloads what `lease` needs and trains it locally. */
	async train(lease: Lease, signal?: AbortSignal): Promise<LocalResult> {
		const trainer = await this.o.trainerFor(lease.baseModel);
		const p = await this.o.api.parameters(lease.download.input);
		const bytes = fromBase64(p.f32);
		if (bytes.byteLength !== lease.parameterCount * 4) throw new Error(`the server sent ${bytes.byteLength} bytes of parameters; the lease says ${lease.parameterCount * 4}`);
		const params = new Float32Array(new Uint8Array(bytes).buffer);
		const reference = lease.reference ? await this.referenceOf(lease) : undefined;
		const indices = [...new Set(lease.batches.flat())];
		const examples = await this.o.api.examples({ jobId: lease.jobId, indices });
		const byIndex = new Map<number, TrainingExample>(indices.map((i, k) => [i, examples[k]!]));
		const batches = lease.batches.map((b) => b.map((i) => byIndex.get(i)!));
		return trainer.train(lease, params, batches, {
			signal,
			reference,
			onStep: (r) =>
				this.emit({ event: 'step', jobId: lease.jobId, round: lease.round, unit: lease.unitIndex, step: r.step, of: r.of, loss: r.loss, tokens: r.tokens, ...(r.accuracy === undefined ? {} : { accuracy: r.accuracy }) })
		});
	}

	/** The frozen reference a DPO lease names (downloaded once per job: it never changes). */
	private async referenceOf(lease: Lease): Promise<Float32Array> {
		const ref = lease.reference!;
		if (this.reference?.jobId === lease.jobId) return this.reference.params;
		const p = await this.o.api.parameters(ref.input);
		const bytes = fromBase64(p.f32);
		if (bytes.byteLength !== ref.bytes) throw new Error(`the server sent ${bytes.byteLength} bytes of reference parameters; the lease says ${ref.bytes}`);
		const params = new Float32Array(new Uint8Array(bytes).buffer);
		this.reference = { jobId: lease.jobId, params };
		return params;
	}

	/** Encodes `delta` for `lease` and sends it (a rejection is an answer, not an error). */
	async submit(lease: Lease, delta: Float32Array, trainLoss: number | null, header: { round?: number; baseVersion?: number } = {}): Promise<{ result: SubmitResult; bytes: number }> {
		const encoded = encodeDelta(delta, { jobId: lease.jobId, round: header.round ?? lease.round, baseVersion: header.baseVersion ?? lease.baseVersion }, { blockSize: this.o.blockSize });
		const result = await this.o.api.submit({ leaseId: lease.leaseId, workerId: this.o.workerId, delta: toBase64(encoded), trainLoss: trainLoss !== null && Number.isFinite(trainLoss) ? trainLoss : null });
		return { result, bytes: encoded.byteLength };
	}

	/** One unit: lease, train, submit. @throws WorkerStopped when `signal` aborts mid-unit */
	async workOnce(signal?: AbortSignal): Promise<UnitOutcome> {
		const lease = await this.lease();
		if (!('leaseId' in lease)) return lease;
		const started = Date.now();
		this.emit({ event: 'lease', jobId: lease.jobId, round: lease.round, unit: lease.unitIndex, baseVersion: lease.baseVersion, baseModel: lease.baseModel, steps: lease.batches.length, tokens: lease.tokens, expires: lease.expires });
		this.log(`round ${lease.round} unit ${lease.unitIndex} of job ${lease.jobId}: ${lease.batches.length} steps, ${lease.tokens} tokens`);
		try {
			const local = await this.train(lease, signal);
			if (signal?.aborted) throw new WorkerStopped();
			const { result, bytes } = await this.submit(lease, local.delta, local.trainLoss);
			this.emit({
				event: 'submitted',
				jobId: lease.jobId,
				round: lease.round,
				unit: lease.unitIndex,
				status: result.status,
				reason: result.reason,
				detail: result.detail,
				trainLoss: local.trainLoss,
				...(local.trainAccuracy === undefined ? {} : { trainAccuracy: local.trainAccuracy }),
				tokens: local.tokens,
				bytes,
				norm: result.norm,
				lossBefore: result.lossBefore,
				lossAfter: result.lossAfter,
				roundClosed: result.roundClosed,
				seconds: (Date.now() - started) / 1000
			});
			this.log(
				result.status === 'accepted'
					? `accepted: train loss ${local.trainLoss.toFixed(4)}, ${local.tokens} tokens${result.lossAfter !== null ? `, held-out loss ${result.lossBefore!.toFixed(4)} → ${result.lossAfter.toFixed(4)}` : ''}${result.roundClosed ? ' (closed the round)' : ''}`
					: `rejected (${result.reason}): ${result.detail}`
			);
			return { kind: 'submitted', lease, result, local };
		} catch (error) {
			const rule = ruleOfError(error);
			if (rule === 'training_lease_lost' || rule === 'training_version_not_found' || rule === 'training_job_state') {
				const message = (error as Error).message;
				this.emit({ event: 'lease_lost', jobId: lease.jobId, message });
				this.log(`unit dropped: ${message}`);
				return { kind: 'lease_lost', message };
			}
			throw error;
		}
	}

	/**
	 * Works until stopped, until every served job ends, or (`once`) until one unit is sent.
	 * @throws WorkerFatal
	 */
	async run(options: { once?: boolean; signal?: AbortSignal; stopAfterUnit?: () => boolean } = {}): Promise<{ units: number; accepted: number; rejected: number; reason: string }> {
		const { signal } = options;
		const wait = this.o.sleep ?? sleep;
		const { initialMs, maxMs } = this.o.backoff ?? { initialMs: 2000, maxMs: 60_000 };
		const stats = { units: 0, accepted: 0, rejected: 0 };
		let delay = initialMs;
		let reason = 'stopped';
		const pause = async (why: 'no_work' | 'paused' | 'error', message: string) => {
			this.emit({ event: 'waiting', reason: why, message, retryInSeconds: delay / 1000 });
			this.log(`${message}; asking again in ${Math.round(delay / 100) / 10} s`);
			await wait(delay, signal);
			delay = Math.min(delay * 2, maxMs);
		};
		while (!signal?.aborted) {
			let outcome: UnitOutcome;
			try {
				outcome = await this.workOnce(signal);
			} catch (error) {
				if (error instanceof WorkerStopped) break;
				if (error instanceof WorkerFatal) throw error;
				const rule = ruleOfError(error);
				if (rule && FATAL[rule]) throw new WorkerFatal(FATAL[rule]);
				const message = (error as Error).message;
				await pause('error', rule ? `the server refused: ${message}` : `something went wrong: ${message}`);
				continue;
			}
			if (outcome.kind === 'submitted') {
				delay = initialMs;
				stats.units++;
				stats[outcome.result.status === 'accepted' ? 'accepted' : 'rejected']++;
				if (options.once) {
					reason = 'once';
					break;
				}
			} else if (outcome.kind === 'over') {
				reason = 'jobs_over';
				this.log(outcome.message);
				break;
			} else if (outcome.kind === 'no_work' || outcome.kind === 'paused') {
				await pause(outcome.kind, outcome.message);
			}
			if (options.stopAfterUnit?.()) break;
		}
		this.emit({ event: 'stopped', reason, ...stats });
		return { ...stats, reason };
	}
}
