/**
 * Llama-family models in distributed training, shared by the server (its `TrainingModel`,
 * ../llama-model.ts) and the workers (Node CLI, browser page): how a job's mode maps to
 * `LlamaTrainer` options, how many parameters it trains, and a worker's local training of one
 * lease on WebGPU. Platform-neutral: the caller brings the GPU context and the opened model.
 *
 * Trainable parameters are `LlamaTrainer`'s flat vector, in its `parameters()` order:
 * - `full`: every tensor of the model in the file plan's order (embeddings, then per layer, …);
 * - `lora`: layer by layer, for each adapted projection in the fixed order q, k, v, o, gate,
 *   up, down (whatever order the job lists its targets in), `lora_A` [r, in] then `lora_B`
 *   [out, r]; A starts Kaiming-uniform from the job's seed, B at zero (PEFT's convention);
 * - reward jobs add the reward head `score.weight` [1, hidden] last (uniform ±1/√hidden from the
 *   seed), so it is trained and travels in the deltas like any other parameter.
 *
 * Objectives: `sft` steps on chat threads; `reward` runs `rewardStep` on (chosen, rejected) pairs;
 * `dpo` first scores the lease's pairs with the frozen reference — the job's version 0, which the
 * worker loop downloads once per job (for LoRA: the base, B = 0) — then runs `dpoStep` against
 * those log-probs.
 */
import type { GpuContext } from '../../../kernels/gpu/context.js';
import { numel } from '../../../kernels/gpu/tensor.js';
import type { ModelConfig } from '../../../kernels/models/config.js';
import type { ModelFiles } from '../../../kernels/models/model-files.js';
import { planTensors } from '../../../kernels/models/weights.js';
import { LlamaTrainer, LORA_TARGETS, type LoraTarget, type TrainerOptions } from '../../../kernels/train/llama-train.js';
import { preferenceAsBatch } from '../../../kernels/train/train-batch.js';
import type { TrainingExample, TrainingObjective } from '../datasets.js';
import type { Lease } from '../manager.js';
import type { TrainingMode } from '../model.js';
import { PairTokenizer } from '../preference.js';
import { ExampleTokenizer } from '../tokenize.js';
import { checkStopped, type LocalResult, type LocalTrainer, type StepReport } from './local.js';

/** Full training keeps four f32 copies of every parameter on the device and sends f32-sized deltas: small models only. */
export const MAX_FULL_PARAMETERS = 64_000_000;

/** Why `mode` cannot train this model, or null. */
export function unsupportedLlamaMode(mode: TrainingMode, config: ModelConfig, fullCount: number): string | null {
	if (mode.kind === 'full') {
		return fullCount > MAX_FULL_PARAMETERS ? `full training is for models up to ${MAX_FULL_PARAMETERS.toLocaleString('en')} parameters (this one has ${fullCount.toLocaleString('en')}); use LoRA` : null;
	}
	const unknown = mode.targets.filter((t) => !(LORA_TARGETS as readonly string[]).includes(t));
	if (unknown.length) return `unknown LoRA target ${unknown.join(', ')}; the targets are ${LORA_TARGETS.join(', ')}`;
	if (new Set(mode.targets).size !== mode.targets.length) return 'a LoRA target is listed twice';
	const smallest = Math.min(config.hiddenSize, config.numKvHeads * config.headDim, config.intermediateSize);
	if (mode.rank > smallest) return `a LoRA rank above ${smallest} is larger than the smallest adapted dimension of this model`;
	return null;
}

/** [in, out] of each projection. */
function projectionShape(c: ModelConfig, t: LoraTarget): [number, number] {
	const q = c.numHeads * c.headDim;
	const kv = c.numKvHeads * c.headDim;
	const shapes: Record<LoraTarget, [number, number]> = { q: [c.hiddenSize, q], k: [c.hiddenSize, kv], v: [c.hiddenSize, kv], o: [q, c.hiddenSize], gate: [c.hiddenSize, c.intermediateSize], up: [c.hiddenSize, c.intermediateSize], down: [c.intermediateSize, c.hiddenSize] };
	return shapes[t];
}

/** Values a full-training trainer has (every planned tensor), from the file headers alone. */
export function fullParameterCount(files: ModelFiles, limits: GpuContext['limits']): number {
	return planTensors(files.config, files.index, { quant: 'none', hasF16: false, limits, label: files.source.label }).reduce((n, t) => n + numel(t.shape), 0);
}

/** Trainable values in `mode` for `objective` (`fullCount` from {@link fullParameterCount}). */
export function llamaParameterCount(config: ModelConfig, mode: TrainingMode, fullCount: number, objective: TrainingObjective = 'sft'): number {
	const head = objective === 'reward' ? config.hiddenSize : 0;
	if (mode.kind === 'full') return fullCount + head;
	let per = 0;
	for (const t of LORA_TARGETS) {
		if (!mode.targets.includes(t)) continue;
		const [k, n] = projectionShape(config, t);
		per += mode.rank * (k + n);
	}
	return per * config.numLayers + head;
}

/** The preference settings a job trains and scores with. */
export interface PreferenceSettings {
	/** λ of the reward model's L2 penalty on the rewards. */
	rewardL2?: number;
	/** β of the DPO loss. */
	dpoBeta?: number;
}

/** LlamaTrainer options for a job's mode and objective (the inner AdamW settings where a worker trains). */
export function trainerOptionsFor(
	mode: TrainingMode,
	o: { maxSeq: number; seed?: number; lr?: number; clip?: number; weightDecay?: number; objective?: TrainingObjective } & PreferenceSettings
): TrainerOptions {
	const base = { maxSeq: o.maxSeq, seed: o.seed ?? 0, lr: o.lr, clip: o.clip, weightDecay: o.weightDecay, rewardHead: o.objective === 'reward', rewardL2: o.rewardL2, dpoBeta: o.dpoBeta };
	if (mode.kind === 'full') return { ...base, mode: 'full' };
	return { ...base, mode: 'lora', rank: mode.rank, alpha: mode.alpha, targets: LORA_TARGETS.filter((t) => mode.targets.includes(t)) };
}

/**
 * A worker's local training of Llama leases on one GPU context. Each lease gets a new
 * `LlamaTrainer` (the inner optimizer starts fresh every unit, with the lease's settings);
 * tokenizers are kept per sequence length.
 */
export class LlamaLocalTrainer implements LocalTrainer {
	private readonly tokenizers = new Map<number, ExampleTokenizer>();
	private readonly pairTokenizers = new Map<number, PairTokenizer>();

	constructor(
		readonly ctx: GpuContext,
		readonly files: ModelFiles
	) {}

	private tokenizer(maxTokens: number): ExampleTokenizer {
		const tok = this.files.tokenizer;
		if (!tok) throw new Error(`${this.files.source.label}: the model has no tokenizer.json, so it cannot read training text`);
		// Cut as the server cuts (to the model's context too), so the unit's tokens are the ones trained.
		const limit = Math.min(maxTokens, this.files.config.maxPositions);
		let t = this.tokenizers.get(limit);
		if (!t) this.tokenizers.set(limit, (t = new ExampleTokenizer(tok, limit)));
		return t;
	}

	private pairTokenizer(maxTokens: number): PairTokenizer {
		const tok = this.tokenizer(maxTokens).tokenizer;
		let t = this.pairTokenizers.get(maxTokens);
		if (!t) this.pairTokenizers.set(maxTokens, (t = new PairTokenizer(tok, Math.min(maxTokens, this.files.config.maxPositions))));
		return t;
	}

	async train(
		lease: Lease,
		params: Float32Array,
		batches: TrainingExample[][],
		options: { signal?: AbortSignal; onStep?: (report: StepReport) => void; reference?: Float32Array } = {}
	): Promise<LocalResult> {
		const objective = lease.objective;
		if (objective === 'dpo' && !options.reference) throw new Error('a DPO unit needs the reference parameters (the job\'s version 0)');
		checkStopped(options.signal);
		const trainer = await LlamaTrainer.create(
			this.ctx,
			this.files,
			trainerOptionsFor(lease.mode, {
				maxSeq: lease.inner.sequenceTokens,
				lr: lease.inner.lr,
				clip: lease.inner.clip,
				weightDecay: lease.inner.weightDecay,
				objective,
				rewardL2: lease.inner.rewardL2,
				dpoBeta: lease.inner.dpoBeta
			})
		);
		try {
			if (trainer.parameterCount !== params.length) {
				throw new Error(`the job trains ${params.length} parameters but ${this.files.source.label} in ${lease.mode.kind} mode has ${trainer.parameterCount}: is it the job's base model (${lease.baseModel})?`);
			}
			let lossSum = 0;
			let tokens = 0;
			let accuracySum = 0;
			const report = (s: number, loss: number, n: number, accuracy?: number) => {
				lossSum += loss;
				tokens += n;
				accuracySum += accuracy ?? 0;
				options.onStep?.({ step: s + 1, of: batches.length, loss, tokens: n, ...(accuracy === undefined ? {} : { accuracy }) });
			};
			if (objective === 'sft') {
				const tok = this.tokenizer(lease.inner.sequenceTokens);
				trainer.writeParameters(params);
				for (let s = 0; s < batches.length; s++) {
					checkStopped(options.signal);
					const r = await trainer.step(tok.batch(batches[s]!));
					report(s, r.loss, r.tokens);
				}
			} else {
				const tok = this.pairTokenizer(lease.inner.sequenceTokens);
				const pairs = batches.map((b) => tok.batch(b));
				const counts = batches.map((b) => b.reduce((n, e) => n + tok.tokens(e), 0));
				let refs: { chosen: Float64Array; rejected: Float64Array }[] = [];
				if (objective === 'dpo') {
					// The frozen reference's log-probs of every pair, before the first update.
					trainer.writeParameters(options.reference!);
					for (const p of pairs) {
						checkStopped(options.signal);
						const lp = await trainer.sequenceLogProbs(preferenceAsBatch(p, true));
						refs.push({ chosen: lp.slice(0, p.chosen.length), rejected: lp.slice(p.chosen.length) });
					}
				}
				trainer.writeParameters(params);
				for (let s = 0; s < pairs.length; s++) {
					checkStopped(options.signal);
					const r = objective === 'reward' ? await trainer.rewardStep(pairs[s]!) : await trainer.dpoStep(pairs[s]!, refs[s]!);
					report(s, r.loss, counts[s]!, r.accuracy);
				}
				refs = [];
			}
			checkStopped(options.signal);
			const after = await trainer.readParameters();
			const delta = new Float32Array(after.length);
			for (let i = 0; i < after.length; i++) delta[i] = after[i]! - params[i]!;
			const n = batches.length;
			return { delta, trainLoss: n ? lossSum / n : 0, tokens, ...(objective === 'sft' || !n ? {} : { trainAccuracy: accuracySum / n }) };
		} finally {
			trainer.dispose();
		}
	}
}
