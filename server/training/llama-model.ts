/**
 * Llama-family models (an HF folder: the bundled `oasis-tiny`, or one named in
 * OASIS_TRAINING_MODELS) as a `TrainingModel` for SFT, reward models and DPO, full or LoRA.
 * Parameters, their order and their starting values are `LlamaTrainer`'s (./worker/llama.ts;
 * a reward job adds the head `score.weight` last); tokens are those of the example rendered with
 * the model's chat template and cut to the job's window (./tokenize.ts; a pair counts both sides,
 * ./preference.ts).
 *
 * The validation loss runs on the server through `LlamaTrainer.evaluate` on one GPU context for
 * the process (Dawn; lavapipe on a machine without a GPU), created on first use: one evaluator
 * trainer per mode is kept (the base weights loaded once), a parameter vector is written into
 * it and the held-out batch — fixed per job, tokenized once — is evaluated in chunks of at most
 * `evalTokens` tokens, weighted by their target tokens. Calls queue: one evaluation at a time.
 *
 * Preference jobs are scored on held-out pairs: reward jobs by the pairwise loss (with the job's
 * L2 term, as trained) and the share of pairs whose chosen reply gets the higher reward; DPO jobs
 * by the DPO loss against the frozen reference (the job's version 0, whose log-probs of the
 * held-out pairs are computed once per job) and the share of pairs with a positive margin. At
 * version 0 a DPO policy is its reference: every margin is 0, the loss ln 2, the accuracy 0.
 */
import type { GpuContext } from '../../kernels/gpu/context.js';
import { createNodeContext } from '../../kernels/gpu/node.js';
import { openModel, type ModelFiles } from '../../kernels/models/model-files.js';
import { folderSource } from '../../kernels/models/source-node.js';
import { LlamaTrainer } from '../../kernels/train/llama-train.js';
import { preferenceAsBatch, type PreferenceBatch, type TrainBatch } from '../../kernels/train/train-batch.js';
import type { TrainingExample, TrainingObjective } from './datasets.js';
import type { EvaluationJob, TrainingEvaluator, TrainingMode, TrainingModel, ValidationResult } from './model.js';
import { PairTokenizer } from './preference.js';
import { ExampleTokenizer, targetCount } from './tokenize.js';
import { fullParameterCount, llamaParameterCount, trainerOptionsFor, unsupportedLlamaMode } from './worker/llama.js';

export interface LlamaModelOptions {
	/** Tokens per evaluation chunk (bounds the activations an evaluation allocates). */
	evalTokens?: number;
	/** Evaluator trainers kept (one per mode). */
	keepTrainers?: number;
}

/** Scores parameter vectors of one Llama model on held-out batches. */
export class LlamaEvaluator implements TrainingEvaluator {
	private readonly trainers = new Map<string, Promise<LlamaTrainer>>();
	private readonly batches = new WeakMap<readonly TrainingExample[], Map<number, { batch: TrainBatch; targets: number }[]>>();
	private readonly pairChunks = new WeakMap<readonly TrainingExample[], Map<number, PreferenceBatch[]>>();
	/** DPO: the reference's log-probs of each job's held-out pairs (per chunk), by job and window. */
	private readonly references = new Map<string, { chosen: Float64Array; rejected: Float64Array }[]>();
	private queue: Promise<unknown> = Promise.resolve();

	constructor(
		readonly ctx: GpuContext,
		readonly files: ModelFiles,
		private readonly tokenizers: (maxTokens: number) => ExampleTokenizer,
		private readonly pairTokenizers: (maxTokens: number) => PairTokenizer,
		private readonly o: Required<LlamaModelOptions>
	) {}

	/** One call at a time (a trainer runs one step at a time, and so does the device). */
	private exclusive<R>(fn: () => Promise<R>): Promise<R> {
		const run = this.queue.then(fn, fn);
		this.queue = run.catch(() => undefined);
		return run;
	}

	private trainer(mode: TrainingMode, maxSeq: number, objective: TrainingObjective = 'sft', preference?: EvaluationJob['preference']): Promise<LlamaTrainer> {
		const key = `${JSON.stringify(mode)}|${maxSeq}|${objective}|${JSON.stringify(preference ?? null)}`;
		let t = this.trainers.get(key);
		if (!t) {
			t = LlamaTrainer.create(this.ctx, this.files, trainerOptionsFor(mode, { maxSeq, objective, ...preference }));
			t.catch(() => this.trainers.delete(key));
			this.trainers.set(key, t);
			while (this.trainers.size > this.o.keepTrainers) {
				const [oldKey, old] = this.trainers.entries().next().value!;
				this.trainers.delete(oldKey);
				void old.then((x) => x.dispose(), () => undefined);
			}
		}
		return t;
	}

	/** The held-out examples in chunks of at most `evalTokens` tokens (whole sequences). */
	private chunks(validation: readonly TrainingExample[], maxTokens: number): { batch: TrainBatch; targets: number }[] {
		let byLength = this.batches.get(validation);
		if (!byLength) this.batches.set(validation, (byLength = new Map()));
		let chunks = byLength.get(maxTokens);
		if (!chunks) {
			chunks = [];
			const tok = this.tokenizers(maxTokens);
			let cur: TrainBatch = { tokens: [], lossMask: [] };
			let n = 0;
			let targets = 0;
			for (const e of validation) {
				const t = tok.of(e);
				if (n > 0 && n + t.tokens.length > this.o.evalTokens) {
					chunks.push({ batch: cur, targets });
					cur = { tokens: [], lossMask: [] };
					n = 0;
					targets = 0;
				}
				cur.tokens.push(t.tokens);
				cur.lossMask.push(t.lossMask);
				n += t.tokens.length;
				targets += targetCount(t.lossMask);
			}
			if (n > 0) chunks.push({ batch: cur, targets });
			byLength.set(maxTokens, chunks);
		}
		return chunks;
	}

	/** The held-out pairs in chunks of at most `evalTokens` tokens (both sides of whole pairs). */
	private pairChunksOf(validation: readonly TrainingExample[], maxTokens: number): PreferenceBatch[] {
		let byLength = this.pairChunks.get(validation);
		if (!byLength) this.pairChunks.set(validation, (byLength = new Map()));
		let chunks = byLength.get(maxTokens);
		if (!chunks) {
			chunks = [];
			const tok = this.pairTokenizers(maxTokens);
			let cur: TrainingExample[] = [];
			let n = 0;
			for (const e of validation) {
				const t = tok.tokens(e);
				if (n > 0 && n + t > this.o.evalTokens) {
					chunks.push(tok.batch(cur));
					cur = [];
					n = 0;
				}
				cur.push(e);
				n += t;
			}
			if (n > 0) chunks.push(tok.batch(cur));
			byLength.set(maxTokens, chunks);
		}
		return chunks;
	}

	/** The held-out score: loss (mean per target token for SFT, per pair otherwise) and, for pairs, accuracy. */
	validate(params: Float32Array, job: EvaluationJob): Promise<ValidationResult> {
		if (job.objective === 'sft') return this.validationLoss(params, job).then((loss) => ({ loss, accuracy: null }));
		return this.exclusive(async () => {
			const chunks = this.pairChunksOf(job.validation, job.sequenceTokens);
			const trainer = await this.trainer(job.mode, job.sequenceTokens, job.objective, job.preference);
			let refs: { chosen: Float64Array; rejected: Float64Array }[] = [];
			if (job.objective === 'dpo') {
				if (!job.reference) throw new Error(`job ${job.id}: DPO validation needs the reference parameters (version 0)`);
				const key = `${job.id}|${job.sequenceTokens}|${job.validation.length}`;
				let cached = this.references.get(key);
				if (!cached) {
					trainer.writeParameters(job.reference);
					cached = [];
					for (const c of chunks) {
						const lp = await trainer.sequenceLogProbs(preferenceAsBatch(c, true));
						cached.push({ chosen: lp.slice(0, c.chosen.length), rejected: lp.slice(c.chosen.length) });
					}
					remember(this.references, key, cached, 16);
				}
				refs = cached;
			}
			trainer.writeParameters(params);
			let loss = 0;
			let right = 0;
			let pairs = 0;
			for (let i = 0; i < chunks.length; i++) {
				const c = chunks[i]!;
				const r = job.objective === 'reward' ? await trainer.evaluateReward(c) : await trainer.evaluateDpo(c, refs[i]!);
				loss += r.loss * c.chosen.length;
				right += r.accuracy * c.chosen.length;
				pairs += c.chosen.length;
			}
			return pairs ? { loss: loss / pairs, accuracy: right / pairs } : { loss: Number.NaN, accuracy: null };
		});
	}

	/** The held-out loss under `params` (SFT: mean cross-entropy per assistant token; pairs: see {@link validate}). */
	validationLoss(params: Float32Array, job: EvaluationJob): Promise<number> {
		if (job.objective !== 'sft') return this.validate(params, job).then((r) => r.loss);
		return this.exclusive(async () => {
			const chunks = this.chunks(job.validation, job.sequenceTokens);
			const trainer = await this.trainer(job.mode, job.sequenceTokens);
			trainer.writeParameters(params);
			let sum = 0;
			let targets = 0;
			for (const c of chunks) {
				sum += (await trainer.evaluate(c.batch)) * c.targets;
				targets += c.targets;
			}
			return targets ? sum / targets : Number.NaN;
		});
	}

	/** Frees the evaluator trainers. */
	async dispose(): Promise<void> {
		const all = [...this.trainers.values()];
		this.trainers.clear();
		this.references.clear();
		for (const t of all) (await t.catch(() => null))?.dispose();
	}
}

/** A Llama-family model the server trains (SFT, reward model, DPO; full or LoRA). */
export class LlamaTrainingModel implements TrainingModel {
	readonly objectives = ['sft', 'reward', 'dpo'] as const;
	readonly modes = ['full', 'lora'] as const;
	readonly evaluator: LlamaEvaluator;
	private readonly tokenizers = new Map<number, ExampleTokenizer>();
	private readonly pairTokenizers = new Map<number, PairTokenizer>();
	private readonly fullCount: number;

	constructor(
		readonly id: string,
		readonly ctx: GpuContext,
		readonly files: ModelFiles,
		options: LlamaModelOptions = {}
	) {
		if (!files.tokenizer) throw new Error(`${files.source.label}: a training model needs its tokenizer.json (and a chat template in tokenizer_config.json)`);
		if (!files.tokenizer.hasChatTemplate) throw new Error(`${files.source.label}: tokenizer_config.json has no chat_template, so SFT threads cannot be rendered`);
		this.fullCount = fullParameterCount(files, ctx.limits);
		this.evaluator = new LlamaEvaluator(ctx, files, (n) => this.tokenizer(n), (n) => this.pairTokenizer(n), { evalTokens: options.evalTokens ?? 4096, keepTrainers: options.keepTrainers ?? 2 });
	}

	/** The tokenizer for a window of `maxTokens` (one per length, caching tokenized examples). */
	tokenizer(maxTokens: number): ExampleTokenizer {
		const limit = Math.min(maxTokens, this.files.config.maxPositions);
		let t = this.tokenizers.get(limit);
		if (!t) this.tokenizers.set(limit, (t = new ExampleTokenizer(this.files.tokenizer!, limit)));
		return t;
	}

	/** The pair tokenizer for a window of `maxTokens` (preference jobs). */
	pairTokenizer(maxTokens: number): PairTokenizer {
		const limit = Math.min(maxTokens, this.files.config.maxPositions);
		let t = this.pairTokenizers.get(limit);
		if (!t) this.pairTokenizers.set(limit, (t = new PairTokenizer(this.files.tokenizer!, limit)));
		return t;
	}

	unsupported(mode: TrainingMode): string | null {
		return unsupportedLlamaMode(mode, this.files.config, this.fullCount);
	}

	parameterCount(mode: TrainingMode, objective: TrainingObjective = 'sft'): number {
		return llamaParameterCount(this.files.config, mode, this.fullCount, objective);
	}

	/** The trainer's own starting values: the base weights (full), or seeded A and zero B (LoRA); a reward job's seeded head last. */
	async initialParameters(mode: TrainingMode, seed: number, objective: TrainingObjective = 'sft'): Promise<Float32Array> {
		const trainer = await LlamaTrainer.create(this.ctx, this.files, trainerOptionsFor(mode, { maxSeq: 8, seed, objective }));
		try {
			return await trainer.readParameters();
		} finally {
			trainer.dispose();
		}
	}

	tokens(example: TrainingExample, sequenceTokens: number): number {
		if (example.kind !== 'sft') return this.pairTokenizer(sequenceTokens).tokens(example);
		return this.tokenizer(sequenceTokens).of(example).tokens.length;
	}
}

function remember<K, V>(map: Map<K, V>, key: K, value: V, max: number): V {
	map.set(key, value);
	while (map.size > max) map.delete(map.keys().next().value as K);
	return value;
}

let gpu: Promise<GpuContext> | null = null;

/** The process's GPU context for training models (created once, on first use). */
export function serverGpuContext(): Promise<GpuContext> {
	gpu ??= createNodeContext().catch((error: unknown) => {
		gpu = null;
		throw new Error(`training needs WebGPU on the server and none could be had (${(error as Error).message}); on a machine without a GPU install Mesa's lavapipe (see scripts/setup.mjs)`);
	});
	return gpu;
}

/** Opens the model folder and wraps it as a `TrainingModel` on the process's GPU context. */
export async function loadLlamaTrainingModel(id: string, folder: string, options: LlamaModelOptions = {}): Promise<LlamaTrainingModel> {
	const files = await openModel(folderSource(folder));
	return new LlamaTrainingModel(id, await serverGpuContext(), files, options);
}
