/**
 * The distributed-training job manager (DiLoCo over volunteers, issue 7). Model-agnostic: it moves
 * flat f32 vectors of trainable parameters and asks an injected `TrainingModel` for the initial
 * values, token counts and a validation loss.
 *
 * A job runs in rounds. Round r starts from parameter version r and is cut into
 * `workers_per_round` work units (H batches of train-split example indices each). A worker asks
 * for work and gets a lease on one unit (its own until `leaseSeconds` pass; an expired lease goes
 * to the next worker who asks, so a worker that vanishes loses only its unit). It trains H inner
 * steps and sends back the delta (8-bit codec, see codec.ts). Each delta is checked — right
 * version, well-formed, finite, norm within k × the median of accepted norms, and, applied alone,
 * not worse on the held-out batch (see `checkUpdate`) — and recorded as accepted or rejected with
 * a reason. When every unit has an accepted delta (or the round deadline passes with at least
 * one), the round closes: the mean delta goes through the outer Nesterov step, the new version
 * and momentum are written as blobs, and the next round opens. All state is in the database and
 * the blob store, so a new manager on a reopened database goes on where the old one stopped.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ServiceEnv } from '../env.js';
import { fail } from '../errors.js';
import { BlobNotFoundError } from '../exchange/blob-store.js';
import { SnapshotIntegrityError, SnapshotNotFoundError, getSnapshot, readSnapshot } from '../exchange/snapshot.js';
import { DeltaFormatError, decodeDelta } from './codec.js';
import { type Dataset, type TrainingExample, type TrainingObjective, buildDataset, fnv1a, mulberry32, recordsOfLines } from './datasets.js';
import type { EvaluationJob, TrainingMode, TrainingModel, ValidationResult } from './model.js';
import { allFinite, applied, l2norm, meanOf, median, normLimit, outerNesterovStep } from './outer.js';
import type { TrainingRuntime } from './runtime.js';
import type { JobState, RejectReason, TrainingJobTable, TrainingUnitTable, TrainingUpdateTable } from './training.table.js';

/** Hyper-parameters of a job, with DiLoCo's defaults where the paper gives them. */
export const hyperSchema = z.object({
	/** Inner (worker) AdamW learning rate. */
	lr: z.number().positive().max(10).default(1e-4),
	/** Tokens per inner step (a batch is whole examples, at least one, until this many tokens). */
	batchTokens: z.number().int().min(1).max(10_000_000).default(4096),
	/** Inner steps per round (DiLoCo's H; the paper uses 500). */
	innerSteps: z.number().int().min(1).max(10_000).default(100),
	/** Outer learning rate (DiLoCo: 0.7). */
	outerLr: z.number().positive().max(10).default(0.7),
	/** Outer Nesterov momentum (DiLoCo: 0.9). */
	outerMomentum: z.number().min(0).max(0.999).default(0.9),
	/** Inner global gradient-norm clip (0 = off). */
	clip: z.number().min(0).max(1e6).default(1),
	/** Inner decoupled weight decay. */
	weightDecay: z.number().min(0).max(1).default(0),
	/** How long a lease is a worker's own. */
	leaseSeconds: z.number().int().min(10).max(7 * 86_400).default(1800),
	/** How long a round waits for all its units before closing with what it has (≥ 1 accepted). */
	roundSeconds: z.number().int().min(10).max(30 * 86_400).default(7200),
	/** Norm rule: reject a delta whose norm exceeds normK × the median accepted norm… */
	normK: z.number().min(1).max(1000).default(5),
	/** …once this many deltas have been accepted (before that, the validation rule guards). */
	warmup: z.number().int().min(1).max(1000).default(3),
	/** Absolute rise of the held-out loss a delta may cause, applied alone. */
	lossTolerance: z.number().min(0).max(100).default(0),
	/**
	 * After warm-up, a delta must lower the held-out loss by at least this fraction of the median
	 * gain of the last 20 accepted deltas: a random direction of honest norm barely moves the loss
	 * (its first-order effect is ~|g|·|d|/√n and of either sign), an honest one lowers it.
	 */
	minGainFraction: z.number().min(0).max(1).default(0.1),
	/** Share of trees held out for validation. */
	validationFraction: z.number().min(0.01).max(0.5).default(0.2),
	/** The held-out batch: the first this many validation examples. */
	validationExamples: z.number().int().min(1).max(100_000).default(256),
	/** Longest training sequence in tokens: token models cut a longer thread to a window holding its last reply. */
	sequenceTokens: z.number().int().min(8).max(32_768).default(1024),
	/** Reward jobs: λ of the L2 penalty on the rewards (the original's RMLoss adds a small one). */
	rewardL2: z.number().min(0).max(1).default(1e-3),
	/** DPO jobs: β, how far the policy may move from the reference (DPO paper: 0.1). */
	dpoBeta: z.number().positive().max(10).default(0.1)
});
export type Hyper = z.infer<typeof hyperSchema>;

export const modeSchema = z.discriminatedUnion('kind', [
	z.object({ kind: z.literal('full') }),
	z.object({
		kind: z.literal('lora'),
		rank: z.number().int().min(1).max(1024),
		alpha: z.number().positive().max(4096),
		targets: z.array(z.string().regex(/^[A-Za-z0-9_.]{1,64}$/)).min(1).max(32)
	})
]);

export const createJobSchema = z.object({
	name: z.string().trim().min(1).max(200),
	objective: z.enum(['sft', 'reward', 'dpo']),
	baseModel: z.string().min(1).max(200),
	snapshot: z.object({ id: z.string().min(1).max(64), contentHash: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'a content hash looks like sha256:<64 hex digits>') }),
	mode: modeSchema,
	hyper: hyperSchema.partial().default({}),
	rounds: z.number().int().min(1).max(100_000),
	workersPerRound: z.number().int().min(1).max(1024),
	/** Seeds the data order (and a model's initial values); by default derived from the job id. Two jobs with one seed see the same examples in the same order. */
	seed: z.number().int().min(0).max(0x7fffffff).optional()
});
export type CreateJobInput = z.input<typeof createJobSchema>;

/** A job as listed. */
export interface JobInfo {
	id: string;
	name: string;
	state: JobState;
	objective: TrainingObjective;
	baseModel: string;
	snapshot: { id: string; contentHash: string };
	mode: TrainingMode;
	hyper: Hyper;
	rounds: number;
	workersPerRound: number;
	/** The open round (= rounds when finished). */
	round: number;
	/** The newest parameter version. */
	version: number;
	parameterCount: number;
	trainExamples: number;
	validationExamples: number;
	initialValidationLoss: number | null;
	/** Preference jobs: share of held-out pairs version 0 ranks right (null for SFT). */
	initialValidationAccuracy: number | null;
	createdDate: string;
	createdBy: string | null;
	error: string | null;
}

/** One round's metrics. */
export interface RoundMetrics {
	round: number;
	state: 'open' | 'closed';
	baseVersion: number;
	openedDate: string;
	closedDate: string | null;
	deadline: string;
	/** Mean of the accepted workers' reported training losses. */
	trainLoss: number | null;
	/** Held-out loss of the version this round produced. */
	validationLoss: number | null;
	/** Preference jobs: share of held-out pairs that version ranks right (null for SFT). */
	validationAccuracy: number | null;
	tokens: number;
	participants: number;
	accepted: number;
	rejected: number;
	/** Encoded bytes received (all updates) and what the same updates weigh as fp32. */
	bytesReceived: number;
	bytesFp32: number;
}

/** A lease on one work unit: everything a worker needs to do it. */
export interface Lease {
	leaseId: string;
	jobId: string;
	round: number;
	unitIndex: number;
	/** Start from this parameter version… */
	baseVersion: number;
	parameterCount: number;
	/** …downloaded through this query: raw little-endian f32, base64 (`bytes` before encoding). */
	download: { procedure: 'training.parameters'; input: { jobId: string; version: number }; bytes: number };
	baseModel: string;
	objective: TrainingObjective;
	mode: TrainingMode;
	/** DPO: the frozen reference (version 0), downloaded like the parameters; null for other objectives. */
	reference: { procedure: 'training.parameters'; input: { jobId: string; version: number }; bytes: number } | null;
	/** Train-split example indices, one list per inner step (`training.examples`). */
	batches: number[][];
	tokens: number;
	inner: { lr: number; clip: number; weightDecay: number; innerSteps: number; batchTokens: number; sequenceTokens: number; rewardL2: number; dpoBeta: number };
	/** The lease is yours until then; after it, the unit may go to another worker. */
	expires: string;
	roundDeadline: string;
}

export interface SubmitInput {
	leaseId: string;
	workerId: string;
	/** The encoded delta (codec.ts). */
	delta: Uint8Array;
	/** Mean training loss over the worker's inner steps, as it measured it. */
	trainLoss: number | null;
}

export interface SubmitResult {
	updateId: string;
	status: 'accepted' | 'rejected';
	reason: RejectReason | null;
	detail: string | null;
	norm: number | null;
	lossBefore: number | null;
	lossAfter: number | null;
	/** Whether this update closed its round. */
	roundClosed: boolean;
}

/** Per-worker counts for a job. */
export interface WorkerStats {
	userId: string;
	workerId: string;
	accepted: number;
	rejected: number;
	acceptedTokens: number;
	reasons: Partial<Record<RejectReason, number>>;
}

const paramsKey = (jobId: string, version: number) => `training.${jobId}.v${version}.params.f32`;
const momentumKey = (jobId: string, version: number) => `training.${jobId}.v${version}.momentum.f32`;
const deltaKey = (jobId: string, round: number, updateId: string) => `training.${jobId}.r${round}.${updateId}.delta`;
/** A version's held-out score (`ValidationResult` as JSON), written next to its parameters. */
const evalKey = (jobId: string, version: number) => `training.${jobId}.v${version}.eval.json`;

function toBytes(v: Float32Array): Uint8Array {
	return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
	const chunks: Uint8Array[] = [];
	let size = 0;
	for await (const c of source) {
		chunks.push(c);
		size += c.byteLength;
	}
	const out = new Uint8Array(size);
	let at = 0;
	for (const c of chunks) {
		out.set(c, at);
		at += c.byteLength;
	}
	return out;
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
	yield bytes;
}

/** Process-wide caches: datasets by snapshot hash, parameter versions by key (both immutable). */
const datasetCache = new Map<string, Promise<Dataset>>();
const paramCache = new Map<string, Float32Array>();
/** Held-out loss of a stored version (the "before" of every delta built on it). */
const baseLossCache = new Map<string, number>();
const validationCache = new WeakMap<Dataset, Map<number, TrainingExample[]>>();
/** Held-out accuracy of stored versions (immutable once written). */
const accuracyCache = new Map<string, number | null>();

function remember<K, V>(map: Map<K, V>, key: K, value: V, max: number): V {
	map.set(key, value);
	while (map.size > max) map.delete(map.keys().next().value as K);
	return value;
}

/** Forget the in-process caches (a test's stand-in for a restarted process). */
export function clearTrainingCaches(): void {
	datasetCache.clear();
	paramCache.clear();
	baseLossCache.clear();
	accuracyCache.clear();
}

/** Listeners told when a job's round closes or its state changes (the metrics subscription). */
const listeners = new Set<(jobId: string) => void>();

/** Call `listener(jobId)` whenever a job changes in this process; returns the unsubscriber. */
export function onTrainingChange(listener: (jobId: string) => void): () => void {
	listeners.add(listener);
	return () => listeners.delete(listener);
}

function changed(jobId: string): void {
	for (const l of listeners) l(jobId);
}

export class TrainingManager {
	constructor(
		readonly env: ServiceEnv,
		readonly runtime: TrainingRuntime
	) {}

	private nowIso(): string {
		return this.env.now().toISOString();
	}

	/** An installed model, or one the runtime loads on first use (GPU models). */
	private async model(id: string): Promise<TrainingModel> {
		const model = this.runtime.models.get(id) ?? (await this.runtime.load?.(id)) ?? undefined;
		if (!model) fail('training_model_unknown', `"${id}" (installed: ${[...this.runtime.models.keys(), ...(this.runtime.loadable?.() ?? [])].join(', ')})`);
		return model;
	}

	private hyper(job: TrainingJobTable): Hyper {
		return hyperSchema.parse(JSON.parse(job.hyper));
	}

	private async row(jobId: string): Promise<TrainingJobTable> {
		const job = await this.env.db.selectFrom('training_job').selectAll().where('id', '=', jobId).executeTakeFirst();
		if (!job) fail('training_job_not_found', jobId);
		return job;
	}

	/** The job's dataset (read from its snapshot once per process, hash-checked while read). */
	private dataset(job: Pick<TrainingJobTable, 'snapshot_id' | 'snapshot_hash' | 'objective' | 'hyper'>): Promise<Dataset> {
		const fraction = hyperSchema.parse(JSON.parse(job.hyper)).validationFraction;
		const key = `${job.snapshot_hash}|${job.objective}|${fraction}`;
		let cached = datasetCache.get(key);
		if (!cached) {
			cached = (async () => {
				const lines: string[] = [];
				try {
					for await (const line of readSnapshot(this.env.db, this.runtime.snapshots, job.snapshot_id)) lines.push(line);
				} catch (error) {
					if (error instanceof SnapshotIntegrityError) fail('training_snapshot_mismatch', error.message);
					if (error instanceof SnapshotNotFoundError || error instanceof BlobNotFoundError) fail('training_snapshot_not_found', error.message);
					throw error;
				}
				return buildDataset(recordsOfLines(lines), job.objective, { validationFraction: fraction });
			})();
			cached.catch(() => datasetCache.delete(key));
			remember(datasetCache, key, cached, 4);
		}
		return cached;
	}

	private async evaluationJob(job: TrainingJobTable): Promise<EvaluationJob> {
		const data = await this.dataset(job);
		const n = this.hyper(job).validationExamples;
		let byN = validationCache.get(data);
		if (!byN) validationCache.set(data, (byN = new Map()));
		let validation = byN.get(n);
		if (!validation) byN.set(n, (validation = data.validation.slice(0, n)));
		const hyper = this.hyper(job);
		return {
			id: job.id,
			objective: job.objective,
			mode: JSON.parse(job.mode) as TrainingMode,
			validation,
			sequenceTokens: hyper.sequenceTokens,
			...(job.objective === 'sft' ? {} : { preference: { rewardL2: hyper.rewardL2, dpoBeta: hyper.dpoBeta } }),
			...(job.objective === 'dpo' ? { reference: await this.parameters(job.id, 0) } : {})
		};
	}

	/** Scores `params` on the held-out batch and stores the score as version `version`'s. */
	private async validateVersion(model: TrainingModel, job: TrainingJobTable, version: number, params: Float32Array, evaluation: EvaluationJob): Promise<ValidationResult> {
		const result: ValidationResult = model.evaluator.validate ? await model.evaluator.validate(params, evaluation) : { loss: await model.evaluator.validationLoss(params, evaluation), accuracy: null };
		await this.runtime.store.put(evalKey(job.id, version), once(new TextEncoder().encode(JSON.stringify(result))));
		remember(accuracyCache, evalKey(job.id, version), result.accuracy, 4096);
		return result;
	}

	/** The held-out accuracy stored with a version (null for SFT jobs, or when none was stored). */
	private async accuracy(job: Pick<TrainingJobTable, 'id' | 'objective'>, version: number): Promise<number | null> {
		if (job.objective === 'sft') return null;
		const key = evalKey(job.id, version);
		if (accuracyCache.has(key)) return accuracyCache.get(key)!;
		let value: number | null = null;
		try {
			const parsed = JSON.parse(new TextDecoder().decode(await collect(this.runtime.store.get(key)))) as Partial<ValidationResult>;
			value = typeof parsed.accuracy === 'number' ? parsed.accuracy : null;
		} catch (error) {
			if (!(error instanceof BlobNotFoundError)) throw error;
		}
		return remember(accuracyCache, key, value, 4096);
	}

	/** A stored parameter version. @throws DomainError training_version_not_found */
	async parameters(jobId: string, version: number): Promise<Float32Array> {
		const key = paramsKey(jobId, version);
		const hit = paramCache.get(key);
		if (hit) return hit;
		let bytes: Uint8Array;
		try {
			bytes = await collect(this.runtime.store.get(key));
		} catch (error) {
			if (error instanceof BlobNotFoundError) fail('training_version_not_found', `job ${jobId} version ${version}`);
			throw error;
		}
		const copy = new Uint8Array(bytes); // aligned
		return remember(paramCache, key, new Float32Array(copy.buffer), 8);
	}

	private async momentum(jobId: string, version: number, count: number): Promise<Float32Array> {
		const key = momentumKey(jobId, version);
		if (!(await this.runtime.store.has(key))) return new Float32Array(count);
		return new Float32Array(new Uint8Array(await collect(this.runtime.store.get(key))).buffer);
	}

	private async putVector(key: string, v: Float32Array): Promise<void> {
		await this.runtime.store.put(key, once(toBytes(v)));
		if (key.endsWith('.params.f32')) remember(paramCache, key, v, 8);
	}

	/** Create a job over a snapshot, write version 0 and open round 0. */
	async createJob(raw: CreateJobInput, createdBy: string | null): Promise<JobInfo> {
		const input = createJobSchema.parse(raw);
		const model = await this.model(input.baseModel);
		const mode = input.mode as TrainingMode;
		if (!model.objectives.includes(input.objective) || !model.modes.includes(mode.kind)) {
			fail('training_model_unsupported', `${model.id} trains ${model.objectives.join('/')} in ${model.modes.join('/')} mode`);
		}
		const why = model.unsupported?.(mode);
		if (why) fail('training_model_unsupported', why);
		let snapshot;
		try {
			snapshot = await getSnapshot(this.env.db, input.snapshot.id);
		} catch (error) {
			if (error instanceof SnapshotNotFoundError) fail('training_snapshot_not_found', input.snapshot.id);
			throw error;
		}
		if (snapshot.content_hash !== input.snapshot.contentHash) fail('training_snapshot_mismatch', `${snapshot.id} is ${snapshot.content_hash}`);
		const hyper = hyperSchema.parse(input.hyper);
		const id = randomUUID();
		const now = this.nowIso();
		const row: TrainingJobTable = {
			id,
			name: input.name,
			created_date: now,
			created_by: createdBy,
			updated_date: now,
			objective: input.objective,
			base_model: model.id,
			snapshot_id: snapshot.id,
			snapshot_hash: snapshot.content_hash,
			mode: JSON.stringify(mode),
			hyper: JSON.stringify(hyper),
			rounds_target: input.rounds,
			workers_per_round: input.workersPerRound,
			state: 'queued',
			round: 0,
			version: 0,
			param_count: model.parameterCount(mode, input.objective),
			// 31 bits: the column is a signed 32-bit integer on PostgreSQL.
			seed: input.seed ?? fnv1a(id) >>> 1,
			data_cursor: 0,
			train_examples: 0,
			validation_examples: 0,
			initial_validation_loss: null,
			error: null
		};
		const data = await this.dataset(row);
		if (data.train.length === 0 || data.validation.length === 0) {
			fail('training_snapshot_empty', `${data.train.length} training and ${data.validation.length} validation examples`);
		}
		row.train_examples = data.train.length;
		row.validation_examples = Math.min(data.validation.length, hyper.validationExamples);
		await this.env.db.insertInto('training_job').values(row).execute();
		try {
			const params = await model.initialParameters(mode, row.seed, input.objective);
			if (params.length !== row.param_count) throw new Error(`${model.id} gave ${params.length} initial parameters, not ${row.param_count}`);
			await this.putVector(paramsKey(id, 0), params);
			const { loss } = await this.validateVersion(model, row, 0, params, await this.evaluationJob(row));
			await this.env.db.transaction().execute(async (trx) => {
				await trx.updateTable('training_job').set({ initial_validation_loss: loss, state: 'running', updated_date: this.nowIso() }).where('id', '=', id).execute();
				await this.openRound({ db: trx }, { ...row, initial_validation_loss: loss, state: 'running' }, 0, model, data);
			});
		} catch (error) {
			await this.env.db.updateTable('training_job').set({ state: 'failed', error: (error as Error).message, updated_date: this.nowIso() }).where('id', '=', id).execute();
			throw error;
		}
		changed(id);
		return this.get(id);
	}

	/** Insert round `round` and its units (in the caller's transaction). */
	/** One unit's H batches of train-split indices, from `cursor` on in the job's fixed shuffle. */
	private drawUnit(job: TrainingJobTable, model: TrainingModel, data: Dataset, cursor: number): { batches: number[][]; tokens: number; cursor: number } {
		const hyper = this.hyper(job);
		const order = trainOrder(data.train.length, job.seed);
		const batches: number[][] = [];
		let tokens = 0;
		for (let s = 0; s < hyper.innerSteps; s++) {
			const batch: number[] = [];
			let batchTokens = 0;
			while (batch.length === 0 || batchTokens < hyper.batchTokens) {
				const index = order[cursor % order.length]!;
				cursor++;
				batch.push(index);
				batchTokens += model.tokens(data.train[index]!, hyper.sequenceTokens);
				if (batch.length >= order.length) break;
			}
			batches.push(batch);
			tokens += batchTokens;
		}
		return { batches, tokens, cursor };
	}

	private async openRound(tx: { db: ServiceEnv['db'] }, job: TrainingJobTable, round: number, model: TrainingModel, data: Dataset): Promise<void> {
		const hyper = this.hyper(job);
		let cursor = job.data_cursor;
		const units: TrainingUnitTable[] = [];
		for (let u = 0; u < job.workers_per_round; u++) {
			const drawn = this.drawUnit(job, model, data, cursor);
			cursor = drawn.cursor;
			units.push({ id: randomUUID(), job_id: job.id, round, unit_index: u, batches: JSON.stringify(drawn.batches), tokens: drawn.tokens, state: 'open', lease_id: null, lease_user_id: null, lease_worker_id: null, lease_expires: null, leases: 0 });
		}
		const now = this.env.now();
		await tx.db
			.insertInto('training_round')
			.values({
				job_id: job.id,
				round,
				base_version: round,
				state: 'open',
				opened_date: now.toISOString(),
				deadline_date: new Date(now.getTime() + hyper.roundSeconds * 1000).toISOString(),
				closed_date: null,
				train_loss: null,
				validation_loss: null,
				tokens: 0,
				participants: 0,
				accepted: 0,
				rejected: 0,
				bytes_received: 0,
				bytes_fp32: 0
			})
			.execute();
		await tx.db.insertInto('training_unit').values(units).execute();
		await tx.db.updateTable('training_job').set({ data_cursor: cursor, round, updated_date: now.toISOString() }).where('id', '=', job.id).execute();
	}

	private async setState(jobId: string, from: readonly JobState[], to: JobState): Promise<JobInfo> {
		const job = await this.row(jobId);
		if (!from.includes(job.state)) fail('training_job_state', `it is ${job.state}; this needs ${from.join(' or ')}`);
		const now = this.env.now();
		await this.env.db.transaction().execute(async (trx) => {
			const r = await trx.updateTable('training_job').set({ state: to, updated_date: now.toISOString() }).where('id', '=', jobId).where('state', '=', job.state).executeTakeFirst();
			if (Number(r.numUpdatedRows) === 0) fail('training_job_state', 'it changed meanwhile; reload');
			if (to === 'running') {
				// A resumed round gets a fresh deadline: the pause must not close it with a few deltas.
				const deadline = new Date(now.getTime() + this.hyper(job).roundSeconds * 1000).toISOString();
				await trx.updateTable('training_round').set({ deadline_date: deadline }).where('job_id', '=', jobId).where('state', '=', 'open').execute();
			}
		});
		changed(jobId);
		return this.get(jobId);
	}

	pause(jobId: string): Promise<JobInfo> {
		return this.setState(jobId, ['running'], 'paused');
	}

	resume(jobId: string): Promise<JobInfo> {
		return this.setState(jobId, ['paused'], 'running');
	}

	cancel(jobId: string): Promise<JobInfo> {
		return this.setState(jobId, ['queued', 'running', 'paused'], 'cancelled');
	}

	/** Jobs, newest first. */
	async list(): Promise<JobInfo[]> {
		const rows = await this.env.db.selectFrom('training_job').selectAll().orderBy('created_date', 'desc').orderBy('id').execute();
		return Promise.all(rows.map((r) => this.info(r)));
	}

	async get(jobId: string): Promise<JobInfo> {
		return this.info(await this.row(jobId));
	}

	private async info(r: TrainingJobTable): Promise<JobInfo> {
		return {
			id: r.id,
			name: r.name,
			state: r.state,
			objective: r.objective,
			baseModel: r.base_model,
			snapshot: { id: r.snapshot_id, contentHash: r.snapshot_hash },
			mode: JSON.parse(r.mode) as TrainingMode,
			hyper: this.hyper(r),
			rounds: r.rounds_target,
			workersPerRound: r.workers_per_round,
			round: r.round,
			version: r.version,
			parameterCount: r.param_count,
			trainExamples: r.train_examples,
			validationExamples: r.validation_examples,
			initialValidationLoss: r.initial_validation_loss === null ? null : Number(r.initial_validation_loss),
			initialValidationAccuracy: r.initial_validation_loss === null ? null : await this.accuracy(r, 0),
			createdDate: r.created_date,
			createdBy: r.created_by,
			error: r.error
		};
	}

	/** Rounds of a job after `sinceRound` (all when −1), oldest first. */
	async metrics(jobId: string, sinceRound = -1): Promise<RoundMetrics[]> {
		const job = await this.row(jobId);
		const rows = await this.env.db.selectFrom('training_round').selectAll().where('job_id', '=', jobId).where('round', '>', sinceRound).orderBy('round').execute();
		const accuracies = await Promise.all(rows.map((r) => (r.state === 'closed' && r.validation_loss !== null ? this.accuracy(job, r.base_version + 1) : null)));
		return rows.map((r, i) => ({
			round: r.round,
			state: r.state,
			baseVersion: r.base_version,
			openedDate: r.opened_date,
			closedDate: r.closed_date,
			deadline: r.deadline_date,
			trainLoss: r.train_loss === null ? null : Number(r.train_loss),
			validationLoss: r.validation_loss === null ? null : Number(r.validation_loss),
			validationAccuracy: accuracies[i] ?? null,
			tokens: Number(r.tokens),
			participants: Number(r.participants),
			accepted: Number(r.accepted),
			rejected: Number(r.rejected),
			bytesReceived: Number(r.bytes_received),
			bytesFp32: Number(r.bytes_fp32)
		}));
	}

	/** Train-split examples by index (what a lease's batches point at). */
	async examples(jobId: string, indices: readonly number[]): Promise<TrainingExample[]> {
		const job = await this.row(jobId);
		const data = await this.dataset(job);
		return indices.map((i) => {
			const e = data.train[i];
			if (!e) fail('training_example_range', `${i} (the split has ${data.train.length})`);
			return e;
		});
	}

	/**
	 * Close the open rounds of running jobs whose deadline passed (with at least one accepted
	 * delta). A round with none gets a new deadline, and its open units fresh examples: training
	 * is deterministic, so a unit whose honest delta did not lower the held-out loss would give
	 * the same delta again on the same examples. Runs on every work request and submission.
	 */
	async tick(jobId?: string): Promise<void> {
		const now = this.nowIso();
		let q = this.env.db
			.selectFrom('training_round')
			.innerJoin('training_job', 'training_job.id', 'training_round.job_id')
			.select(['training_round.job_id', 'training_round.round', 'training_round.accepted'])
			.where('training_job.state', '=', 'running')
			.where('training_round.state', '=', 'open')
			.where('training_round.deadline_date', '<=', now);
		if (jobId) q = q.where('training_job.id', '=', jobId);
		for (const r of await q.execute()) {
			if (Number(r.accepted) > 0) await this.closeRound(r.job_id, r.round);
			else await this.restartRound(r.job_id, r.round);
		}
	}

	/** A new deadline for a stalled round, and fresh examples for its open units. */
	private async restartRound(jobId: string, round: number): Promise<void> {
		const job = await this.row(jobId);
		const model = await this.model(job.base_model);
		const data = await this.dataset(job);
		const deadline = new Date(this.env.now().getTime() + this.hyper(job).roundSeconds * 1000).toISOString();
		await this.env.db.transaction().execute(async (trx) => {
			const r = await trx.updateTable('training_round').set({ deadline_date: deadline }).where('job_id', '=', jobId).where('round', '=', round).where('state', '=', 'open').where('deadline_date', '<=', this.nowIso()).executeTakeFirst();
			if (Number(r.numUpdatedRows) === 0) return; // another process restarted or closed it
			// Open units and those whose lease expired (a live lease keeps the examples it was given).
			const now = this.nowIso();
			const units = await trx
				.selectFrom('training_unit')
				.select(['id', 'state'])
				.where('job_id', '=', jobId)
				.where('round', '=', round)
				.where((eb) => eb.or([eb('state', '=', 'open'), eb.and([eb('state', '=', 'leased'), eb('lease_expires', '<=', now)])]))
				.orderBy('unit_index')
				.execute();
			let cursor = job.data_cursor;
			for (const u of units) {
				const drawn = this.drawUnit(job, model, data, cursor);
				cursor = drawn.cursor;
				await trx.updateTable('training_unit').set({ batches: JSON.stringify(drawn.batches), tokens: drawn.tokens }).where('id', '=', u.id).where('state', '=', u.state).execute();
			}
			await trx.updateTable('training_job').set({ data_cursor: cursor, updated_date: this.nowIso() }).where('id', '=', jobId).execute();
		});
		changed(jobId);
	}

	/**
	 * A lease for `workerId` of `userId`: the one it already holds in the open round, or an open
	 * or expired unit. @throws DomainError training_no_work
	 */
	async requestWork(userId: string, workerId: string, jobId?: string): Promise<Lease> {
		await this.tick(jobId);
		let q = this.env.db.selectFrom('training_job').selectAll().where('state', '=', 'running');
		if (jobId) q = q.where('id', '=', jobId);
		const jobs = await q.orderBy('created_date').orderBy('id').execute();
		if (jobId && jobs.length === 0) {
			const job = await this.row(jobId);
			fail('training_job_state', `it is ${job.state}`);
		}
		const now = this.nowIso();
		for (const job of jobs) {
			const held = await this.env.db
				.selectFrom('training_unit')
				.selectAll()
				.where('job_id', '=', job.id)
				.where('round', '=', job.round)
				.where('state', '=', 'leased')
				.where('lease_user_id', '=', userId)
				.where('lease_worker_id', '=', workerId)
				.where('lease_expires', '>', now)
				.executeTakeFirst();
			if (held) return this.lease(job, held);
			const candidates = await this.env.db
				.selectFrom('training_unit')
				.selectAll()
				.where('job_id', '=', job.id)
				.where('round', '=', job.round)
				.where((eb) => eb.or([eb('state', '=', 'open'), eb.and([eb('state', '=', 'leased'), eb('lease_expires', '<=', now)])]))
				.orderBy('unit_index')
				.execute();
			const expires = new Date(this.env.now().getTime() + this.hyper(job).leaseSeconds * 1000).toISOString();
			for (const unit of candidates) {
				const leaseId = randomUUID();
				const r = await this.env.db
					.updateTable('training_unit')
					.set({ state: 'leased', lease_id: leaseId, lease_user_id: userId, lease_worker_id: workerId, lease_expires: expires, leases: unit.leases + 1 })
					.where('id', '=', unit.id)
					.where('state', '=', unit.state)
					.where((eb) => (unit.lease_id === null ? eb('lease_id', 'is', null) : eb('lease_id', '=', unit.lease_id)))
					.executeTakeFirst();
				if (Number(r.numUpdatedRows) > 0) {
					return this.lease(job, { ...unit, state: 'leased', lease_id: leaseId, lease_user_id: userId, lease_worker_id: workerId, lease_expires: expires });
				}
			}
		}
		fail('training_no_work');
	}

	private async lease(job: TrainingJobTable, unit: TrainingUnitTable): Promise<Lease> {
		const hyper = this.hyper(job);
		const round = await this.env.db.selectFrom('training_round').select(['base_version', 'deadline_date']).where('job_id', '=', job.id).where('round', '=', unit.round).executeTakeFirstOrThrow();
		return {
			leaseId: unit.lease_id!,
			jobId: job.id,
			round: unit.round,
			unitIndex: unit.unit_index,
			baseVersion: round.base_version,
			parameterCount: job.param_count,
			download: { procedure: 'training.parameters', input: { jobId: job.id, version: round.base_version }, bytes: job.param_count * 4 },
			baseModel: job.base_model,
			objective: job.objective,
			mode: JSON.parse(job.mode) as TrainingMode,
			reference: job.objective === 'dpo' ? { procedure: 'training.parameters', input: { jobId: job.id, version: 0 }, bytes: job.param_count * 4 } : null,
			batches: JSON.parse(unit.batches) as number[][],
			tokens: unit.tokens,
			inner: {
				lr: hyper.lr,
				clip: hyper.clip,
				weightDecay: hyper.weightDecay,
				innerSteps: hyper.innerSteps,
				batchTokens: hyper.batchTokens,
				sequenceTokens: hyper.sequenceTokens,
				rewardL2: hyper.rewardL2,
				dpoBeta: hyper.dpoBeta
			},
			expires: unit.lease_expires!,
			roundDeadline: round.deadline_date
		};
	}

	/** Accept or reject a worker's delta for its lease; closes the round when it completes it. */
	async submit(userId: string, input: SubmitInput): Promise<SubmitResult> {
		const unit = await this.env.db.selectFrom('training_unit').selectAll().where('lease_id', '=', input.leaseId).executeTakeFirst();
		if (!unit || unit.lease_user_id !== userId || unit.lease_worker_id !== input.workerId || unit.state !== 'leased') fail('training_lease_lost');
		const job = await this.row(unit.job_id);
		if (job.state !== 'running') fail('training_job_state', `it is ${job.state}`);
		if (unit.round !== job.round) fail('training_lease_lost', `round ${unit.round} is closed`);
		const maxBytes = 64 + job.param_count * 2 + 1024;
		if (input.delta.byteLength > maxBytes) fail('training_payload_too_large', `${input.delta.byteLength} bytes for ${job.param_count} parameters`);
		const hyper = this.hyper(job);
		const model = await this.model(job.base_model);

		const check = await this.checkUpdate(job, unit, hyper, model, input.delta);
		const updateId = randomUUID();
		const status = check.reason === null ? 'accepted' : 'rejected';
		const blob = status === 'accepted' ? deltaKey(job.id, unit.round, updateId) : null;
		if (blob) await this.runtime.store.put(blob, once(input.delta));
		const record: TrainingUpdateTable = {
			id: updateId,
			job_id: job.id,
			round: unit.round,
			unit_id: unit.id,
			user_id: userId,
			worker_id: input.workerId,
			created_date: this.nowIso(),
			base_version: check.baseVersion,
			bytes: input.delta.byteLength,
			norm: check.norm,
			train_loss: input.trainLoss !== null && Number.isFinite(input.trainLoss) ? input.trainLoss : null,
			tokens: unit.tokens,
			status,
			reason: check.reason,
			detail: check.detail,
			loss_before: check.lossBefore,
			loss_after: check.lossAfter,
			blob
		};
		let accepted: number;
		try {
			accepted = await this.env.db.transaction().execute(async (trx) => {
				const r = await trx
					.updateTable('training_unit')
					.set(status === 'accepted' ? { state: 'done' } : { state: 'open', lease_id: null, lease_user_id: null, lease_worker_id: null, lease_expires: null })
					.where('id', '=', unit.id)
					.where('lease_id', '=', input.leaseId)
					.where('state', '=', 'leased')
					.executeTakeFirst();
				if (Number(r.numUpdatedRows) === 0) fail('training_lease_lost');
				// Counters move by atomic increments on the open round: the update locks the row
				// (PostgreSQL) so concurrent submissions and a closer queue up instead of losing counts.
				const bumped = await trx
					.updateTable('training_round')
					.set((eb) => ({
						accepted: eb('accepted', '+', status === 'accepted' ? 1 : 0),
						rejected: eb('rejected', '+', status === 'rejected' ? 1 : 0),
						bytes_received: eb('bytes_received', '+', input.delta.byteLength),
						bytes_fp32: eb('bytes_fp32', '+', job.param_count * 4)
					}))
					.where('job_id', '=', job.id)
					.where('round', '=', unit.round)
					.where('state', '=', 'open')
					.executeTakeFirst();
				if (Number(bumped.numUpdatedRows) === 0) fail('training_lease_lost', `round ${unit.round} is closed`);
				await trx.insertInto('training_update').values(record).execute();
				const after = await trx.selectFrom('training_round').select('accepted').where('job_id', '=', job.id).where('round', '=', unit.round).executeTakeFirstOrThrow();
				return Number(after.accepted);
			});
		} catch (error) {
			if (blob) await this.runtime.store.delete(blob);
			throw error;
		}
		let roundClosed = false;
		if (accepted >= job.workers_per_round) roundClosed = await this.closeRound(job.id, unit.round);
		else await this.tick(job.id);
		changed(job.id);
		return { updateId, status, reason: check.reason, detail: check.detail, norm: check.norm, lossBefore: check.lossBefore, lossAfter: check.lossAfter, roundClosed };
	}

	/** The robustness rules, in order; the first broken one is the reason. */
	private async checkUpdate(
		job: TrainingJobTable,
		unit: TrainingUnitTable,
		hyper: Hyper,
		model: TrainingModel,
		bytes: Uint8Array
	): Promise<{ reason: RejectReason | null; detail: string | null; baseVersion: number | null; norm: number | null; lossBefore: number | null; lossAfter: number | null }> {
		const out = { reason: null as RejectReason | null, detail: null as string | null, baseVersion: null as number | null, norm: null as number | null, lossBefore: null as number | null, lossAfter: null as number | null };
		const reject = (reason: RejectReason, detail: string) => Object.assign(out, { reason, detail });
		let decoded;
		try {
			decoded = decodeDelta(bytes);
		} catch (error) {
			if (error instanceof DeltaFormatError) return reject('corrupt', error.message);
			throw error;
		}
		const { header, delta } = decoded;
		out.baseVersion = header.baseVersion;
		if (header.jobId !== job.id) return reject('corrupt', `the delta names job ${header.jobId}`);
		if (header.round !== unit.round || header.baseVersion !== unit.round) {
			return reject('stale', `built for round ${header.round} on version ${header.baseVersion}; this unit is round ${unit.round} on version ${unit.round}`);
		}
		if (header.count !== job.param_count) return reject('shape', `${header.count} elements; the job trains ${job.param_count}`);
		if (!allFinite(delta)) return reject('non_finite', 'the delta contains NaN or infinite values');
		out.norm = l2norm(delta);

		const recent = await this.env.db
			.selectFrom('training_update')
			.select(['norm', 'loss_before', 'loss_after'])
			.where('job_id', '=', job.id)
			.where('status', '=', 'accepted')
			.orderBy('round', 'desc')
			.orderBy('created_date', 'desc')
			.orderBy('id')
			.limit(50)
			.execute();
		const limit = normLimit(
			recent.map((r) => Number(r.norm)),
			hyper.normK,
			hyper.warmup
		);
		if (limit !== null && out.norm > limit) return reject('norm_outlier', `norm ${out.norm.toPrecision(4)} is over ${hyper.normK} × the median accepted norm (limit ${limit.toPrecision(4)})`);

		const base = await this.parameters(job.id, unit.round);
		const evaluation = await this.evaluationJob(job);
		const baseKey = paramsKey(job.id, unit.round);
		out.lossBefore = baseLossCache.get(baseKey) ?? remember(baseLossCache, baseKey, await model.evaluator.validationLoss(base, evaluation), 16);
		out.lossAfter = await model.evaluator.validationLoss(applied(base, delta), evaluation);
		const rise = out.lossAfter - out.lossBefore;
		if (!Number.isFinite(out.lossAfter) || rise > hyper.lossTolerance) {
			return reject('validation_loss', `applied alone it raises the held-out loss from ${out.lossBefore.toFixed(4)} to ${out.lossAfter.toFixed(4)}`);
		}
		if (recent.length >= hyper.warmup && hyper.minGainFraction > 0) {
			const gains = recent.slice(0, 20).map((r) => Number(r.loss_before) - Number(r.loss_after));
			const needed = hyper.minGainFraction * median(gains);
			if (needed > 0 && -rise < needed) {
				return reject('validation_loss', `applied alone it lowers the held-out loss by ${(-rise).toFixed(4)}; accepted updates lower it by a median ${median(gains).toFixed(4)} (at least ${needed.toFixed(4)} needed)`);
			}
		}
		return out;
	}

	/**
	 * Close round `round` of `jobId` if it is still open: average the accepted deltas, take the
	 * outer Nesterov step, store version round+1 and its momentum, and open the next round (or
	 * finish the job). Returns whether this call closed it.
	 */
	async closeRound(jobId: string, round: number): Promise<boolean> {
		const job = await this.row(jobId);
		const model = await this.model(job.base_model);
		const hyper = this.hyper(job);
		const data = await this.dataset(job);
		const evaluation = await this.evaluationJob(job);
		let closed = false;
		const blobs: string[] = [];
		await this.env.db.transaction().execute(async (trx) => {
			// Claim the round first: a concurrent closer blocks on this row (PostgreSQL) or on the
			// write lock (SQLite) and then finds it closed.
			const claim = await trx.updateTable('training_round').set({ state: 'closed', closed_date: this.nowIso() }).where('job_id', '=', jobId).where('round', '=', round).where('state', '=', 'open').executeTakeFirst();
			if (Number(claim.numUpdatedRows) === 0) return;
			const updates = await trx.selectFrom('training_update').selectAll().where('job_id', '=', jobId).where('round', '=', round).where('status', '=', 'accepted').orderBy('created_date').orderBy('id').execute();
			if (updates.length === 0) throw new Error(`round ${round} of job ${jobId} has no accepted update to close with`);
			const deltas: Float32Array[] = [];
			for (const u of updates) {
				deltas.push(decodeDelta(await collect(this.runtime.store.get(u.blob!))).delta);
				blobs.push(u.blob!);
			}
			const params = Float32Array.from(await this.parameters(jobId, round));
			const momentum = await this.momentum(jobId, round, params.length);
			outerNesterovStep(params, momentum, meanOf(deltas), hyper.outerLr, hyper.outerMomentum);
			await this.putVector(paramsKey(jobId, round + 1), params);
			await this.putVector(momentumKey(jobId, round + 1), momentum);
			const { loss: validationLoss } = await this.validateVersion(model, job, round + 1, params, evaluation);
			const losses = updates.map((u) => u.train_loss).filter((l): l is number => l !== null).map(Number);
			await trx
				.updateTable('training_round')
				.set({
					train_loss: losses.length ? losses.reduce((a, b) => a + b, 0) / losses.length : null,
					validation_loss: validationLoss,
					tokens: updates.reduce((a, u) => a + Number(u.tokens), 0),
					participants: new Set(updates.map((u) => u.user_id)).size
				})
				.where('job_id', '=', jobId)
				.where('round', '=', round)
				.execute();
			await trx.updateTable('training_update').set({ blob: null }).where('job_id', '=', jobId).where('round', '=', round).execute();
			const finished = round + 1 >= job.rounds_target;
			await trx
				.updateTable('training_job')
				.set({ version: round + 1, round: round + 1, state: finished ? 'finished' : job.state, updated_date: this.nowIso() })
				.where('id', '=', jobId)
				.execute();
			if (!finished && job.state !== 'cancelled') await this.openRound({ db: trx }, { ...job, round: round + 1, version: round + 1 }, round + 1, model, data);
			closed = true;
		});
		if (closed) {
			for (const b of blobs) await this.runtime.store.delete(b);
			if (round > 0) await this.runtime.store.delete(momentumKey(jobId, round));
			changed(jobId);
		}
		return closed;
	}

	/** Accepted/rejected counts per worker of a job, with the rejection reasons. */
	async workers(jobId: string): Promise<WorkerStats[]> {
		await this.row(jobId);
		const rows = await this.env.db
			.selectFrom('training_update')
			.select(['user_id', 'worker_id', 'status', 'reason'])
			.select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('tokens').as('tokens')])
			.where('job_id', '=', jobId)
			.groupBy(['user_id', 'worker_id', 'status', 'reason'])
			.execute();
		const by = new Map<string, WorkerStats>();
		for (const r of rows) {
			const key = `${r.user_id}\u0000${r.worker_id}`;
			let s = by.get(key);
			if (!s) by.set(key, (s = { userId: r.user_id, workerId: r.worker_id, accepted: 0, rejected: 0, acceptedTokens: 0, reasons: {} }));
			const n = Number(r.n);
			if (r.status === 'accepted') {
				s.accepted += n;
				s.acceptedTokens += Number(r.tokens);
			} else {
				s.rejected += n;
				if (r.reason) s.reasons[r.reason] = (s.reasons[r.reason] ?? 0) + n;
			}
		}
		return [...by.values()].sort((a, b) => b.acceptedTokens - a.acceptedTokens || (a.userId + a.workerId < b.userId + b.workerId ? -1 : 1));
	}

	/** The compute leaderboard: accepted tokens per user (one job, or all), most first. */
	async leaderboard(jobId?: string, limit = 100): Promise<{ userId: string; displayName: string | null; acceptedTokens: number; acceptedUpdates: number }[]> {
		let q = this.env.db
			.selectFrom('training_update')
			.leftJoin('user', 'user.id', 'training_update.user_id')
			.select(['training_update.user_id as userId', 'user.display_name as displayName'])
			.select((eb) => [eb.fn.sum<number>('training_update.tokens').as('tokens'), eb.fn.countAll<number>().as('n')])
			.where('training_update.status', '=', 'accepted');
		if (jobId) q = q.where('training_update.job_id', '=', jobId);
		const rows = await q.groupBy(['training_update.user_id', 'user.display_name']).execute();
		return rows
			.map((r) => ({ userId: r.userId, displayName: r.displayName ?? null, acceptedTokens: Number(r.tokens), acceptedUpdates: Number(r.n) }))
			.sort((a, b) => b.acceptedTokens - a.acceptedTokens || (a.userId < b.userId ? -1 : 1))
			.slice(0, limit);
	}
}

/** The job's fixed shuffle of the train split (Fisher–Yates, seeded by the job). */
export function trainOrder(n: number, seed: number): number[] {
	const order = Array.from({ length: n }, (_, i) => i);
	const random = mulberry32(seed);
	for (let i = n - 1; i > 0; i--) {
		const j = Math.floor(random() * (i + 1));
		[order[i], order[j]] = [order[j]!, order[i]!];
	}
	return order;
}

