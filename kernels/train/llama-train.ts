/**
 * Training steps for the Llama-family decoder on WebGPU: LoRA adapters over a frozen (f32, f16,
 * q8 or q4) base, or full-parameter training of a small f32 model. Semantics: llama-train.ref.ts
 * (float64); the ops: train-ops.ts and lora.ts; the forward ops are the inference ones.
 *
 *   T = tokens of the batch (sequences packed end to end), W = longest sequence, D = hidden,
 *   Hq/Hkv = query/kv heads, Dh = head dim, I = MLP size, V = vocabulary, r = LoRA rank
 *
 * Design
 * - One step = forward + masked cross-entropy + backward + global-norm clip + AdamW, recorded
 *   into one Batch and submitted once; the only readback is the T per-row losses and the norm.
 * - The batch is packed: tokens of all sequences in one [T, ·] stream; RoPE reads each token's
 *   position inside its sequence and attention is causal inside each sequence only, so no
 *   padding is computed.
 * - Stored for the backward, per layer (f32, no KV cache): the residual stream entering the
 *   layer and after attention [T, D] ×2, both norm outputs [T, D] ×2, q and k after RoPE and v
 *   [T, (Hq + 2·Hkv)·Dh], the attention output [T, Hq·Dh], the log-sum-exp of every score row
 *   [T, Hq] (the probabilities are recomputed from it, not stored; the backward adds the rows'
 *   dO·O next to it), gate, up and silu(gate)·up [T, I] ×3, and x·Aᵀ [T, r] per adapted
 *   projection. That is about T·(4D + 2(Hq + Hkv)·Dh + 2Hq + 3I + 7r)·4 bytes per layer, plus,
 *   shared by all layers, the logits [T, V] (overwritten by their gradient), one set of
 *   gradient buffers of the layer shapes, and the attention score scratch 2·Hq·T·W floats (the
 *   limit on sequence length). The buffers are kept for the next step of the same (T, W).
 * - AdamW decays matrices only (not norms or biases); the clip factor is computed on the GPU.
 * - Precision: activations, gradients, adapters, optimizer moments are f32; a frozen base may
 *   be f16 (with shader-f16) or q8/q4 and is dequantized inside the matmul kernels (forward:
 *   the inference matmul; dX = dY·W: the transposed dequantizing kernel), always accumulating
 *   in f32. Full training loads every tensor as f32 and computes in f32.
 * - Parameters: each trainable tensor has its own buffers (value, grad, m, v); the flat
 *   read/write API concatenates them in `parameters()` order.
 * - Qwen3's per-head q/k norms: q and k before the norm are kept too ([T, (Hq + Hkv)·Dh]).
 * - Preference training reuses the same forward/backward: the reward model stops the forward
 *   at the final norm, reads the last rows of hF back and starts the backward from dhF
 *   (written from the host); DPO reads the per-row log-probs back, turns them into one
 *   coefficient per sequence and rescales the dlogits rows before the backward (two submits).
 */
import { z } from 'zod';
import { Batch } from '../gpu/batch.js';
import { readF32, writeBuffer } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { GpuError } from '../gpu/errors.js';
import { destroyWeight, emptyTensor, numel, tensorFrom, uploadWeight, type DeviceTensor, type Weight } from '../gpu/tensor.js';
import { add } from '../ops/add/add.js';
import { embedding } from '../ops/embedding/embedding.js';
import { matmul } from '../ops/matmul/matmul.js';
import { rmsnorm } from '../ops/rmsnorm/rmsnorm.js';
import { createRopeTable, type RopeTable } from '../ops/rope/rope.js';
import { siluMul } from '../ops/silu-mul/silu-mul.js';
import { ropeAttentionScale, ropeFrequencies, type ModelConfig } from '../models/config.js';
import { ModelError } from '../models/errors.js';
import { readWeight, type ModelFiles } from '../models/model-files.js';
import { seededRandom } from '../models/random.js';
import { readF32 as readStoredF32 } from '../models/tensors.js';
import { EMBED, FINAL_NORM, LM_HEAD, layerNames, planTensors } from '../models/weights.js';
import { denseParam, loraLinear, loraLinearGrad, type DenseParam } from './lora.js';
import { LORA_TARGETS, loraNames, REWARD_HEAD, type LoraTarget } from './llama-train.ref.js';
import { packBatch, preferenceAsBatch, type PackedBatch, type PreferenceBatch, type TrainBatch } from './train-batch.js';
import { dpoLossRef, rewardLossRef } from './preference.ref.js';
import {
	adamw,
	attentionScratchSize,
	attentionTrain,
	attentionTrainGrad,
	crossEntropy,
	embeddingGrad,
	fill,
	gradNormPartials,
	gradNormSq,
	linearGradW,
	linearGradX,
	rmsnormGrad,
	ropeTrain,
	scaleRows,
	siluMulGrad
} from './train-ops.js';

export { LORA_TARGETS, loraNames, REWARD_HEAD, type LoraTarget } from './llama-train.ref.js';
export type { PreferenceBatch, TrainBatch } from './train-batch.js';

const beta = z.number().min(0).lt(1);

/** Trainer options (zod-validated; defaults in brackets). */
export const trainerOptionsSchema = z.object({
	/** 'lora' [default]: adapters over a frozen base; 'full': every tensor (small f32 models). */
	mode: z.enum(['lora', 'full']).default('lora'),
	rank: z.number().int().min(1).max(1024).default(8),
	alpha: z.number().positive().default(16),
	targets: z.array(z.enum(LORA_TARGETS)).min(1).default([...LORA_TARGETS]),
	lr: z.number().positive().max(10).default(1e-4),
	betas: z.tuple([beta, beta]).default([0.9, 0.999]),
	eps: z.number().positive().default(1e-8),
	/** Decoupled weight decay, applied to matrices (not to norms or biases). */
	weightDecay: z.number().min(0).default(0),
	/** Global gradient-norm clip; 0 disables. */
	clip: z.number().min(0).default(1),
	/** Base precision in LoRA mode ('none': the file's). Full training needs 'none'. */
	quant: z.enum(['none', 'f16', 'q8', 'q4']).default('none'),
	/** Longest sequence a batch may hold (default min(max_position_embeddings, 2048)). */
	maxSeq: z.number().int().min(2).optional(),
	/** Seed of the LoRA A (and reward head) initialisation. */
	seed: z.number().int().default(0),
	/** Add a trainable reward head `score.weight` [1, D] (reward-model training). */
	rewardHead: z.boolean().default(false),
	/** λ of the reward model's L2 penalty on the rewards. */
	rewardL2: z.number().min(0).default(1e-3),
	/** β of the DPO loss. */
	dpoBeta: z.number().positive().default(0.1)
});
export type TrainerOptions = z.input<typeof trainerOptionsSchema>;
type Opts = z.output<typeof trainerOptionsSchema>;

/** One trainable tensor. */
interface Param {
	name: string;
	shape: number[];
	value: DeviceTensor;
	grad: DeviceTensor;
	m: DeviceTensor;
	v: DeviceTensor;
	/** The matrix view for matmuls (2-D params). */
	dense: DenseParam | null;
}

/** A linear layer of the model. */
interface Proj {
	name: string;
	target: LoraTarget;
	w: Weight;
	K: number;
	N: number;
	bias?: DeviceTensor;
	/** Full training: the weight and bias as parameters. */
	param?: Param;
	biasParam?: Param;
	lora?: { a: Param; b: Param };
}

interface Layer {
	inputNorm: DeviceTensor;
	postNorm: DeviceTensor;
	inputNormP?: Param;
	postNormP?: Param;
	/** Qwen3 per-head q/k norms [Dh]. */
	qNorm?: DeviceTensor;
	kNorm?: DeviceTensor;
	qNormP?: Param;
	kNormP?: Param;
	proj: Record<LoraTarget, Proj>;
}

/** Activations and gradient buffers for one (T, W). */
interface Acts {
	key: string;
	T: number;
	W: number;
	ids: DeviceTensor;
	pos: DeviceTensor;
	targets: DeviceTensor;
	weights: DeviceTensor;
	lossRows: DeviceTensor;
	ones: DeviceTensor;
	xs: DeviceTensor[];
	mids: DeviceTensor[];
	h1: DeviceTensor[];
	h2: DeviceTensor[];
	q: DeviceTensor[];
	k: DeviceTensor[];
	v: DeviceTensor[];
	/** Qwen3: q and k before their per-head norms (else empty). */
	qRaw: DeviceTensor[];
	kRaw: DeviceTensor[];
	att: DeviceTensor[];
	lse: DeviceTensor[];
	gate: DeviceTensor[];
	up: DeviceTensor[];
	act: DeviceTensor[];
	ax: Partial<Record<LoraTarget, DeviceTensor>>[];
	tmp: DeviceTensor;
	branch: DeviceTensor;
	hF: DeviceTensor;
	logits: DeviceTensor;
	dx: DeviceTensor;
	dh: DeviceTensor;
	dAct: DeviceTensor;
	dGate: DeviceTensor;
	dUp: DeviceTensor;
	dAtt: DeviceTensor;
	dq: DeviceTensor;
	dk: DeviceTensor;
	dv: DeviceTensor;
	dqRaw: DeviceTensor | null;
	dkRaw: DeviceTensor | null;
	dax: DeviceTensor;
	attScratch: DeviceTensor;
	all: DeviceTensor[];
}

/** What a step reports. */
export interface StepResult {
	/** Mean cross-entropy over the trained tokens, before the update. */
	loss: number;
	/** Trained (masked-in) target tokens. */
	tokens: number;
	/** Global L2 norm of the gradients, before clipping. */
	gradNorm: number;
}

/** What a preference step reports (reward model or DPO). */
export interface PreferenceResult {
	/** Mean pairwise loss before the update. */
	loss: number;
	/** Fraction of pairs ranked right (reward_c > reward_r, or z > 0 for DPO). */
	accuracy: number;
	/** Global gradient norm before clipping. */
	gradNorm: number;
	/** Rewards of the chosen then the rejected sequences (reward model), or their log-probs (DPO). */
	scores: Float64Array;
}

/** A trainable tensor's name, shape and offset in the flat parameter vector. */
export interface ParamInfo {
	name: string;
	shape: number[];
	offset: number;
	size: number;
}

const MAP_READ = 0x01;
const COPY_DST = 0x08;

/** A tensor seen with another shape (the buffer must be large enough; checked by the ops). */
function as(t: DeviceTensor, shape: number[]): DeviceTensor {
	return { buffer: t.buffer, dtype: t.dtype, shape };
}

/** A loaded model set up for training. */
export class LlamaTrainer {
	private acts: Acts | null = null;
	private stepCount = 0;
	private readonly partials: DeviceTensor;
	private readonly normSq: DeviceTensor;
	private busy = false;
	private disposed = false;
	/** The learning rate of the next AdamW steps (options' `lr` until setLearningRate). */
	private lr: number;

	private constructor(
		readonly ctx: GpuContext,
		readonly config: ModelConfig,
		private readonly o: Opts,
		private readonly embed: Weight,
		private readonly lmHead: Weight,
		private readonly finalNorm: DeviceTensor,
		private readonly layers: Layer[],
		private readonly params: Param[],
		private readonly owned: { weights: Weight[]; tensors: DeviceTensor[] },
		private readonly rope: RopeTable,
		readonly maxSeq: number,
		private readonly special: { embed?: Param; head?: Param; finalNorm?: Param; reward?: Param }
	) {
		this.lr = o.lr;
		this.partials = emptyTensor(ctx, [gradNormPartials(params.length)], 'f32', 'grad-norm-partials');
		this.normSq = emptyTensor(ctx, [1], 'f32', 'grad-norm');
	}

	/**
	 * Loads `files` (the same models LlamaModel loads) for training with `options`. Full
	 * training reads every tensor as f32; LoRA keeps the base in its planned format.
	 */
	static async create(ctx: GpuContext, files: ModelFiles, options: TrainerOptions = {}): Promise<LlamaTrainer> {
		const parsed = trainerOptionsSchema.safeParse(options);
		if (!parsed.success) {
			throw new GpuError('invalid-input', `trainer options: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ')}`);
		}
		const o = parsed.data;
		const c = files.config;
		const label = files.source.label;
		const full = o.mode === 'full';
		if (full && o.quant !== 'none') throw new ModelError('unsupported', `full training computes in f32: use quant 'none' (got '${o.quant}'), or LoRA over a quantized base`);
		const plan = planTensors(c, files.index, { quant: o.quant, hasF16: full ? false : ctx.features.f16, limits: ctx.limits, label });
		const maxSeq = Math.min(o.maxSeq ?? 2048, c.maxPositions);
		const limit = ctx.limits.maxStorageBufferBindingSize;
		const params: Param[] = [];
		const owned = { weights: [] as Weight[], tensors: [] as DeviceTensor[] };
		const makeParam = (name: string, shape: number[], data: Float32Array): Param => {
			const bytes = numel(shape) * 4;
			if (bytes > limit) {
				throw new ModelError('too-large', `${label}: trainable tensor ${name} (${bytes} bytes) exceeds maxStorageBufferBindingSize (${limit}); train a smaller model or use LoRA`);
			}
			const value = tensorFrom(ctx, data, shape, 'f32', name);
			const p: Param = {
				name,
				shape,
				value,
				grad: emptyTensor(ctx, shape, 'f32', `${name}.grad`),
				m: emptyTensor(ctx, shape, 'f32', `${name}.m`),
				v: emptyTensor(ctx, shape, 'f32', `${name}.v`),
				dense: shape.length === 2 ? denseParam(value) : null
			};
			params.push(p);
			owned.tensors.push(p.value, p.grad, p.m, p.v);
			return p;
		};
		const mats = new Map<string, { w: Weight; p?: Param }>();
		const vecs = new Map<string, { t: DeviceTensor; p?: Param }>();
		try {
			for (const t of plan) {
				if (t.kind === 'vector') {
					const data = await readStoredF32(files.source, t.stored);
					if (full) {
						const p = makeParam(t.name, t.shape, data);
						vecs.set(t.name, { t: p.value, p });
					} else {
						const tt = tensorFrom(ctx, data, t.shape, 'f32', t.name);
						owned.tensors.push(tt);
						vecs.set(t.name, { t: tt });
					}
					continue;
				}
				const r = await readWeight(files, t, null);
				if (full) {
					if (r.format !== 'f32' || !(r.data instanceof Float32Array)) {
						throw new ModelError('unsupported', `${label}: tensor ${t.name} is stored as ${t.stored.dtype}; full training needs float weights (use LoRA over a quantized model)`);
					}
					const p = makeParam(t.name, t.shape, r.data);
					mats.set(t.name, { w: p.dense!.weight, p });
				} else {
					const w = uploadWeight(ctx, r.format, r.data, t.shape[0], t.shape[1], { label: t.name });
					owned.weights.push(w);
					mats.set(t.name, { w });
				}
			}
			const rand = seededRandom(o.seed);
			const layers: Layer[] = [];
			for (let i = 0; i < c.numLayers; i++) {
				const n = layerNames(i);
				const mk = (name: string, target: LoraTarget, bias?: string): Proj => {
					const m = mats.get(name)!;
					const b = bias ? vecs.get(bias) : undefined;
					const p: Proj = { name, target, w: m.w, K: m.w.cols, N: m.w.rows, bias: b?.t, param: m.p, biasParam: b?.p };
					if (!full && o.targets.includes(target)) {
						const ln = loraNames(name);
						const bound = 1 / Math.sqrt(p.K);
						const a = Float32Array.from({ length: o.rank * p.K }, () => (2 * rand() - 1) * bound);
						p.lora = { a: makeParam(ln.a, [o.rank, p.K], a), b: makeParam(ln.b, [p.N, o.rank], new Float32Array(p.N * o.rank)) };
					}
					return p;
				};
				layers.push({
					inputNorm: vecs.get(n.inputNorm)!.t,
					postNorm: vecs.get(n.postNorm)!.t,
					inputNormP: vecs.get(n.inputNorm)!.p,
					postNormP: vecs.get(n.postNorm)!.p,
					qNorm: vecs.get(n.qNorm)?.t,
					kNorm: vecs.get(n.kNorm)?.t,
					qNormP: vecs.get(n.qNorm)?.p,
					kNormP: vecs.get(n.kNorm)?.p,
					proj: {
						q: mk(n.q, 'q', n.qBias),
						k: mk(n.k, 'k', n.kBias),
						v: mk(n.v, 'v', n.vBias),
						o: mk(n.o, 'o', n.oBias),
						gate: mk(n.gate, 'gate'),
						up: mk(n.up, 'up'),
						down: mk(n.down, 'down')
					}
				});
			}
			let reward: Param | undefined;
			if (o.rewardHead) {
				const D = c.hiddenSize;
				const bound = 1 / Math.sqrt(D);
				reward = makeParam(REWARD_HEAD, [1, D], Float32Array.from({ length: D }, () => (2 * rand() - 1) * bound));
			}
			const rope = createRopeTable(ctx, { rotaryDim: c.rotaryDim, theta: c.ropeTheta, maxPositions: maxSeq, invFreq: ropeFrequencies(c), scale: ropeAttentionScale(c) });
			const embed = mats.get(EMBED)!;
			const head = c.tieEmbeddings ? embed : mats.get(LM_HEAD)!;
			const fn = vecs.get(FINAL_NORM)!;
			ctx.throwIfErrors();
			return new LlamaTrainer(ctx, c, o, embed.w, head.w, fn.t, layers, params, owned, rope, maxSeq, { embed: embed.p, head: head.p, finalNorm: fn.p, reward });
		} catch (e) {
			for (const w of owned.weights) destroyWeight(w);
			for (const t of owned.tensors) t.buffer.destroy();
			throw e;
		}
	}

	/** The trainable tensors in flat-vector order. */
	parameters(): ParamInfo[] {
		let offset = 0;
		return this.params.map((p) => {
			const size = numel(p.shape);
			const info = { name: p.name, shape: [...p.shape], offset, size };
			offset += size;
			return info;
		});
	}

	/** Total trainable values. */
	get parameterCount(): number {
		return this.params.reduce((n, p) => n + numel(p.shape), 0);
	}

	/** Sets the learning rate of the following steps (a schedule: warm-up, decay). */
	setLearningRate(lr: number): void {
		if (!(Number.isFinite(lr) && lr >= 0)) throw new GpuError('invalid-input', `learning rate must be a finite number ≥ 0, got ${lr}`);
		this.lr = lr;
	}

	/** Optimizer steps taken. */
	get steps(): number {
		return this.stepCount;
	}

	/** Forward, backward, clip and AdamW on `batch`; returns the loss before the update. */
	async step(batch: TrainBatch): Promise<StepResult> {
		return this.run(batch, 'step');
	}

	/** Forward and backward only: the gradients stay on the device (readGradients). */
	async computeGradients(batch: TrainBatch): Promise<StepResult> {
		return this.run(batch, 'grad');
	}

	/** Mean masked cross-entropy of `batch` under the current parameters (no update). */
	async evaluate(batch: TrainBatch): Promise<number> {
		return (await this.run(batch, 'eval')).loss;
	}

	/** Every trainable tensor, concatenated in `parameters()` order. */
	async readParameters(): Promise<Float32Array> {
		return this.readFlat((p) => p.value);
	}

	/** The gradients of the last step / computeGradients, in `parameters()` order. */
	async readGradients(): Promise<Float32Array> {
		return this.readFlat((p) => p.grad);
	}

	/** Overwrites every trainable tensor from a flat vector (e.g. parameters plus a delta). */
	writeParameters(flat: Float32Array): void {
		this.checkLive();
		if (flat.length !== this.parameterCount) {
			throw new GpuError('invalid-input', `writeParameters: got ${flat.length} values, the trainer has ${this.parameterCount}`);
		}
		let off = 0;
		for (const p of this.params) {
			const n = numel(p.shape);
			writeBuffer(this.ctx, p.value.buffer, flat.subarray(off, off + n));
			off += n;
		}
	}

	/** Frees every device buffer the trainer made. */
	dispose(): void {
		if (this.disposed) return;
		this.disposed = true;
		this.freeActs();
		for (const w of this.owned.weights) destroyWeight(w);
		for (const t of this.owned.tensors) t.buffer.destroy();
		this.rope.buffer.destroy();
		this.partials.buffer.destroy();
		this.normSq.buffer.destroy();
	}

	private checkLive(): void {
		if (this.disposed) throw new GpuError('invalid-input', 'this trainer was disposed; create a new one');
	}

	/** Copies the picked tensors into staging buffers (up to maxBufferSize each) and maps them once. */
	private async readFlat(pick: (p: Param) => DeviceTensor): Promise<Float32Array> {
		this.checkLive();
		const ctx = this.ctx;
		const out = new Float32Array(this.parameterCount);
		const maxBytes = ctx.limits.maxBufferSize;
		let i = 0;
		let off = 0;
		while (i < this.params.length) {
			const group: Param[] = [];
			let bytes = 0;
			while (i < this.params.length && (group.length === 0 || bytes + numel(this.params[i].shape) * 4 <= maxBytes)) {
				bytes += numel(this.params[i].shape) * 4;
				group.push(this.params[i++]);
			}
			if (bytes > maxBytes) {
				// One tensor larger than a staging buffer may be: read it on its own.
				out.set(await readF32(ctx, pick(group[0]).buffer, bytes / 4), off);
				off += bytes / 4;
				continue;
			}
			const staging = ctx.device.createBuffer({ size: bytes, usage: MAP_READ | COPY_DST });
			const enc = ctx.device.createCommandEncoder();
			let at = 0;
			for (const p of group) {
				const n = numel(p.shape) * 4;
				enc.copyBufferToBuffer(pick(p).buffer, 0, staging, at, n);
				at += n;
			}
			ctx.device.queue.submit([enc.finish()]);
			await staging.mapAsync(MAP_READ);
			out.set(new Float32Array(staging.getMappedRange().slice(0)), off);
			staging.unmap();
			staging.destroy();
			off += bytes / 4;
		}
		ctx.throwIfErrors();
		return out;
	}

	/** Runs `fn` unless another step is in flight. */
	private async exclusive<R>(fn: () => Promise<R>): Promise<R> {
		this.checkLive();
		if (this.busy) throw new GpuError('invalid-input', 'the trainer is already running a step; await it first');
		this.busy = true;
		try {
			return await fn();
		} finally {
			this.busy = false;
		}
	}

	/** The activations for `packed`, with its ids, positions, targets and weights uploaded. */
	private upload(packed: PackedBatch): Acts {
		const a = this.actsFor(packed);
		const ctx = this.ctx;
		writeBuffer(ctx, a.ids.buffer, packed.ids);
		writeBuffer(ctx, a.pos.buffer, packed.pos);
		writeBuffer(ctx, a.targets.buffer, packed.targets);
		writeBuffer(ctx, a.weights.buffer, packed.weights);
		return a;
	}

	/** Records the gradient norm, and AdamW on every parameter when `update`. */
	private recordOptimizer(b: Batch, update: boolean): void {
		const ctx = this.ctx;
		gradNormSq(ctx, { grads: this.params.map((p) => p.grad), partials: this.partials, out: this.normSq }, b);
		if (!update) return;
		const step = this.stepCount + 1;
		const base = { lr: this.lr, beta1: this.o.betas[0], beta2: this.o.betas[1], eps: this.o.eps, clip: this.o.clip };
		for (const p of this.params) {
			const weightDecay = p.shape.length === 2 ? this.o.weightDecay : 0;
			adamw(ctx, { param: p.value, grad: p.grad, m: p.m, v: p.v, normSq: this.normSq, step, opts: { ...base, weightDecay } }, b);
		}
		this.stepCount = step;
	}

	private async readNorm(): Promise<number> {
		return Math.sqrt((await readF32(this.ctx, this.normSq.buffer, 1))[0]);
	}

	private async run(batch: TrainBatch, mode: 'step' | 'grad' | 'eval'): Promise<StepResult> {
		const packed = packBatch(batch, this.config.vocabSize, this.maxSeq);
		return this.exclusive(async () => {
			const ctx = this.ctx;
			const a = this.upload(packed);
			const b = new Batch(ctx);
			this.recordForward(b, a, 'lm');
			if (mode !== 'eval') {
				for (const p of this.params) fill(ctx, { out: p.grad }, b);
				this.recordBackward(b, a, packed, true);
				this.recordOptimizer(b, mode === 'step');
			}
			b.submit();
			const rows = await readF32(ctx, a.lossRows.buffer, a.T);
			let loss = 0;
			for (const r of rows) loss += r;
			return { loss, tokens: packed.count, gradNorm: mode === 'eval' ? 0 : await this.readNorm() };
		});
	}

	/**
	 * Sum of the log-probs of the masked tokens of each sequence (DPO's reference log-probs:
	 * compute them once with the frozen model, e.g. before training the adapters).
	 */
	async sequenceLogProbs(batch: TrainBatch): Promise<Float64Array> {
		const packed = packBatch(batch, this.config.vocabSize, this.maxSeq, { weights: 'sum' });
		return this.exclusive(async () => {
			const a = this.upload(packed);
			const b = new Batch(this.ctx);
			this.recordForward(b, a, 'lm');
			b.submit();
			return this.perSequence(packed, await readF32(this.ctx, a.lossRows.buffer, a.T), -1);
		});
	}

	private perSequence(packed: PackedBatch, rows: Float32Array, sign: number): Float64Array {
		const out = new Float64Array(packed.seqEnds.length);
		let s = 0;
		for (let t = 0; t < rows.length; t++) {
			while (t >= packed.seqEnds[s]) s++;
			out[s] += sign * rows[t];
		}
		return out;
	}

	/**
	 * One DPO step on preference pairs: loss = mean −log σ(β·((π_c − ρ_c) − (π_r − ρ_r))), π the
	 * masked log-prob sums under the model, ρ = `ref` (from {@link sequenceLogProbs} of the
	 * frozen model). Two submits: the forward (log-probs read back), then the scaled backward.
	 * `update: false` leaves the gradients on the device without an optimizer step.
	 */
	async dpoStep(pairs: PreferenceBatch, ref: { chosen: ArrayLike<number>; rejected: ArrayLike<number> }, o: { update?: boolean } = {}): Promise<PreferenceResult> {
		const packed = packBatch(preferenceAsBatch(pairs, true), this.config.vocabSize, this.maxSeq, { weights: 'sum' });
		const P = pairs.chosen.length;
		if (ref.chosen.length !== P || ref.rejected.length !== P) {
			throw new GpuError('invalid-input', `dpoStep: need ${P} reference log-probs for the chosen and for the rejected sequences`);
		}
		return this.exclusive(async () => {
			const ctx = this.ctx;
			const a = this.upload(packed);
			const b1 = new Batch(ctx);
			this.recordForward(b1, a, 'lm');
			b1.submit();
			const logps = this.perSequence(packed, await readF32(ctx, a.lossRows.buffer, a.T), -1);
			const L = dpoLossRef(logps.subarray(0, P), logps.subarray(P), ref.chosen, ref.rejected, this.o.dpoBeta);
			// dlogits rows hold d(−log p)/dlogits; the loss wants dL/dπ · dπ/dlogits = −dL/dπ · rows.
			const scale = new Float32Array(a.T);
			let s = 0;
			for (let t = 0; t < a.T; t++) {
				while (t >= packed.seqEnds[s]) s++;
				scale[t] = -(s < P ? L.dChosen[s] : L.dRejected[s - P]);
			}
			writeBuffer(ctx, a.weights.buffer, scale);
			const b2 = new Batch(ctx);
			scaleRows(ctx, { x: a.logits, scale: a.weights }, b2);
			for (const p of this.params) fill(ctx, { out: p.grad }, b2);
			this.recordBackward(b2, a, packed, true);
			this.recordOptimizer(b2, o.update ?? true);
			b2.submit();
			return { loss: L.loss, accuracy: L.accuracy, gradNorm: await this.readNorm(), scores: logps };
		});
	}

	/**
	 * One reward-model step on preference pairs: reward = `score.weight` · the final hidden state
	 * of each sequence's last token; loss = mean −log σ(r_c − r_r) + λ·(r_c² + r_r²). Needs the
	 * `rewardHead` option. Two submits: the forward (the last hidden states read back), then
	 * the backward from them. `update: false` leaves the gradients without an optimizer step.
	 */
	async rewardStep(pairs: PreferenceBatch, o: { update?: boolean } = {}): Promise<PreferenceResult> {
		const head = this.special.reward;
		if (!head) throw new GpuError('invalid-input', 'rewardStep: create the trainer with { rewardHead: true }');
		const packed = packBatch(preferenceAsBatch(pairs, false), this.config.vocabSize, this.maxSeq, { requireTargets: false });
		const P = pairs.chosen.length;
		const D = this.config.hiddenSize;
		return this.exclusive(async () => {
			const ctx = this.ctx;
			const a = this.upload(packed);
			const b1 = new Batch(ctx);
			this.recordForward(b1, a, 'hidden');
			b1.submit();
			const hF = await readF32(ctx, a.hF.buffer, a.T * D);
			const score = await readF32(ctx, head.value.buffer, D);
			const rows = Array.from(packed.seqEnds, (e) => e - 1);
			const rewards = Float64Array.from(rows, (t) => {
				let r = 0;
				for (let d = 0; d < D; d++) r += hF[t * D + d] * score[d];
				return r;
			});
			const L = rewardLossRef(rewards.subarray(0, P), rewards.subarray(P), this.o.rewardL2);
			const dhF = new Float32Array(a.T * D);
			const gScore = new Float32Array(D);
			rows.forEach((t, i) => {
				const dr = i < P ? L.dChosen[i] : L.dRejected[i - P];
				for (let d = 0; d < D; d++) {
					dhF[t * D + d] = dr * score[d];
					gScore[d] += dr * hF[t * D + d];
				}
			});
			writeBuffer(ctx, a.dh.buffer, dhF);
			const b2 = new Batch(ctx);
			for (const p of this.params) if (p !== head) fill(ctx, { out: p.grad }, b2);
			writeBuffer(ctx, head.grad.buffer, gScore);
			this.recordBackward(b2, a, packed, false);
			this.recordOptimizer(b2, o.update ?? true);
			b2.submit();
			return { loss: L.loss, accuracy: L.accuracy, gradNorm: await this.readNorm(), scores: rewards };
		});
	}

	/**
	 * The reward model's scores of preference pairs under the current parameters, with the
	 * pairwise loss (as {@link rewardStep} computes it, L2 term included) and the ranking
	 * accuracy; forward only, nothing is updated. Needs the `rewardHead` option.
	 */
	async evaluateReward(pairs: PreferenceBatch): Promise<Omit<PreferenceResult, 'gradNorm'>> {
		const head = this.special.reward;
		if (!head) throw new GpuError('invalid-input', 'evaluateReward: create the trainer with { rewardHead: true }');
		const packed = packBatch(preferenceAsBatch(pairs, false), this.config.vocabSize, this.maxSeq, { requireTargets: false });
		const P = pairs.chosen.length;
		const D = this.config.hiddenSize;
		return this.exclusive(async () => {
			const a = this.upload(packed);
			const b = new Batch(this.ctx);
			this.recordForward(b, a, 'hidden');
			b.submit();
			const hF = await readF32(this.ctx, a.hF.buffer, a.T * D);
			const score = await readF32(this.ctx, head.value.buffer, D);
			const rewards = Float64Array.from(packed.seqEnds, (end) => {
				let r = 0;
				for (let d = 0; d < D; d++) r += hF[(end - 1) * D + d] * score[d];
				return r;
			});
			const L = rewardLossRef(rewards.subarray(0, P), rewards.subarray(P), this.o.rewardL2);
			return { loss: L.loss, accuracy: L.accuracy, scores: rewards };
		});
	}

	/**
	 * The DPO loss and preference accuracy of pairs under the current parameters against the
	 * reference log-probs `ref` (forward only). Scores: the policy log-probs, chosen then rejected.
	 */
	async evaluateDpo(pairs: PreferenceBatch, ref: { chosen: ArrayLike<number>; rejected: ArrayLike<number> }): Promise<Omit<PreferenceResult, 'gradNorm'>> {
		const P = pairs.chosen.length;
		if (ref.chosen.length !== P || ref.rejected.length !== P) {
			throw new GpuError('invalid-input', `evaluateDpo: need ${P} reference log-probs for the chosen and for the rejected sequences`);
		}
		const logps = await this.sequenceLogProbs(preferenceAsBatch(pairs, true));
		const L = dpoLossRef(logps.subarray(0, P), logps.subarray(P), ref.chosen, ref.rejected, this.o.dpoBeta);
		return { loss: L.loss, accuracy: L.accuracy, scores: logps };
	}

	private projFwd(b: Batch, p: Proj, x: DeviceTensor, out: DeviceTensor, a: Acts, l: number): void {
		const ctx = this.ctx;
		if (p.lora) {
			const s = this.o.alpha / this.o.rank;
			loraLinear(ctx, { x, w: p.w, bias: p.bias, a: p.lora.a.dense!, b: p.lora.b.dense!, scale: s, ax: a.ax[l][p.target]!, tmp: as(a.tmp, [a.T, p.N]), out }, b);
		} else {
			matmul(ctx, { x, w: p.w, bias: p.bias, out }, b);
		}
	}

	/** dx (+)= dy·W (and the adapter/weight/bias gradients) for the layer y = proj(x). */
	private projBack(b: Batch, p: Proj, x: DeviceTensor, dy: DeviceTensor, dx: DeviceTensor, accumulate: boolean, a: Acts, l: number): void {
		const ctx = this.ctx;
		if (p.lora) {
			const s = this.o.alpha / this.o.rank;
			const { a: A, b: B } = p.lora;
			loraLinearGrad(
				ctx,
				{ x, w: p.w, a: A.dense!, b: B.dense!, scale: s, ax: a.ax[l][p.target]!, dy, dax: as(a.dax, [a.T, this.o.rank]), da: A.grad, db: B.grad, dx, accumulate },
				b
			);
		} else {
			linearGradX(ctx, { dy, w: p.w, out: dx, accumulate }, b);
		}
		if (p.param) linearGradW(ctx, { dy, x, grad: p.param.grad, accumulate: true }, b);
		if (p.biasParam) linearGradW(ctx, { dy, x: as(a.ones, [a.T, 1]), grad: as(p.biasParam.grad, [p.N, 1]), accumulate: true }, b);
	}

	/** The forward; `top` 'lm': logits and the masked cross-entropy; 'hidden': stop at the final norm. */
	private recordForward(b: Batch, a: Acts, top: 'lm' | 'hidden'): void {
		const { ctx, config: c } = this;
		const { T } = a;
		const eps = c.rmsNormEps;
		const attShape = { pos: a.pos, maxLen: a.W, scratch: a.attScratch };
		embedding(ctx, { ids: a.ids, table: this.embed, out: a.xs[0] }, b);
		this.layers.forEach((L, l) => {
			const P = L.proj;
			rmsnorm(ctx, { x: a.xs[l], weight: L.inputNorm, out: a.h1[l], eps }, b);
			const qk = !!(L.qNorm && L.kNorm);
			this.projFwd(b, P.q, a.h1[l], as(qk ? a.qRaw[l] : a.q[l], [T, c.numHeads * c.headDim]), a, l);
			this.projFwd(b, P.k, a.h1[l], as(qk ? a.kRaw[l] : a.k[l], [T, c.numKvHeads * c.headDim]), a, l);
			if (L.qNorm && L.kNorm) {
				rmsnorm(ctx, { x: as(a.qRaw[l], [T * c.numHeads, c.headDim]), weight: L.qNorm, out: as(a.q[l], [T * c.numHeads, c.headDim]), eps }, b);
				rmsnorm(ctx, { x: as(a.kRaw[l], [T * c.numKvHeads, c.headDim]), weight: L.kNorm, out: as(a.k[l], [T * c.numKvHeads, c.headDim]), eps }, b);
			}
			this.projFwd(b, P.v, a.h1[l], as(a.v[l], [T, c.numKvHeads * c.headDim]), a, l);
			ropeTrain(ctx, { x: a.q[l], table: this.rope, pos: a.pos, layout: c.ropeLayout, sign: 1 }, b);
			ropeTrain(ctx, { x: a.k[l], table: this.rope, pos: a.pos, layout: c.ropeLayout, sign: 1 }, b);
			attentionTrain(ctx, { ...attShape, lse: a.lse[l], q: a.q[l], k: a.k[l], v: a.v[l], out: a.att[l] }, b);
			this.projFwd(b, P.o, as(a.att[l], [T, c.numHeads * c.headDim]), a.branch, a, l);
			add(ctx, { a: a.xs[l], b: a.branch, out: a.mids[l] }, b);
			rmsnorm(ctx, { x: a.mids[l], weight: L.postNorm, out: a.h2[l], eps }, b);
			this.projFwd(b, P.gate, a.h2[l], a.gate[l], a, l);
			this.projFwd(b, P.up, a.h2[l], a.up[l], a, l);
			siluMul(ctx, { gate: a.gate[l], up: a.up[l], out: a.act[l] }, b);
			this.projFwd(b, P.down, a.act[l], a.branch, a, l);
			add(ctx, { a: a.mids[l], b: a.branch, out: a.xs[l + 1] }, b);
		});
		rmsnorm(ctx, { x: a.xs[c.numLayers], weight: this.finalNorm, out: a.hF, eps }, b);
		if (top === 'hidden') return;
		matmul(ctx, { x: a.hF, w: this.lmHead, out: a.logits }, b);
		crossEntropy(ctx, { logits: a.logits, targets: a.targets, weights: a.weights, loss: a.lossRows }, b);
	}

	/** The backward from dlogits (the logits buffer) when `fromLogits`, else from dhF in `a.dh`. */
	private recordBackward(b: Batch, a: Acts, packed: PackedBatch, fromLogits: boolean): void {
		const { ctx, config: c } = this;
		const { T } = a;
		const eps = c.rmsNormEps;
		const qd = c.numHeads * c.headDim;
		const kvd = c.numKvHeads * c.headDim;
		const sp = this.special;
		if (fromLogits) {
			// The logits buffer holds dlogits.
			linearGradX(ctx, { dy: a.logits, w: this.lmHead, out: a.dh }, b);
			if (sp.head) linearGradW(ctx, { dy: a.logits, x: a.hF, grad: sp.head.grad, accumulate: true }, b);
		}
		rmsnormGrad(ctx, { x: a.xs[c.numLayers], weight: this.finalNorm, dy: a.dh, dx: a.dx, dweight: sp.finalNorm?.grad, eps }, b);
		const attShape = { pos: a.pos, maxLen: a.W, scratch: a.attScratch };
		for (let l = c.numLayers - 1; l >= 0; l--) {
			const L = this.layers[l];
			const P = L.proj;
			// x_{l+1} = mid + down(silu(gate(h2))·up(h2)), h2 = norm(mid)
			this.projBack(b, P.down, a.act[l], a.dx, a.dAct, false, a, l);
			siluMulGrad(ctx, { gate: a.gate[l], up: a.up[l], dh: a.dAct, dgate: a.dGate, dup: a.dUp }, b);
			this.projBack(b, P.gate, a.h2[l], a.dGate, a.dh, false, a, l);
			this.projBack(b, P.up, a.h2[l], a.dUp, a.dh, true, a, l);
			rmsnormGrad(ctx, { x: a.mids[l], weight: L.postNorm, dy: a.dh, dx: a.dx, dweight: L.postNormP?.grad, eps, accumulate: true }, b);
			// mid = x_l + o(attention(rope(q(h1)), rope(k(h1)), v(h1))), h1 = norm(x_l)
			this.projBack(b, P.o, as(a.att[l], [T, qd]), a.dx, as(a.dAtt, [T, qd]), false, a, l);
			attentionTrainGrad(
				ctx,
				{ ...attShape, lse: a.lse[l], q: a.q[l], k: a.k[l], v: a.v[l], out: a.att[l], dout: a.dAtt, dq: a.dq, dk: a.dk, dv: a.dv },
				b
			);
			ropeTrain(ctx, { x: a.dq, table: this.rope, pos: a.pos, layout: c.ropeLayout, sign: -1 }, b);
			ropeTrain(ctx, { x: a.dk, table: this.rope, pos: a.pos, layout: c.ropeLayout, sign: -1 }, b);
			let dq = a.dq;
			let dk = a.dk;
			if (L.qNorm && L.kNorm && a.dqRaw && a.dkRaw) {
				const [Hq, Hkv, Dh] = [c.numHeads, c.numKvHeads, c.headDim];
				const qr = (t: DeviceTensor) => as(t, [T * Hq, Dh]);
				const kr = (t: DeviceTensor) => as(t, [T * Hkv, Dh]);
				rmsnormGrad(ctx, { x: qr(a.qRaw[l]), weight: L.qNorm, dy: qr(a.dq), dx: qr(a.dqRaw), dweight: L.qNormP?.grad, eps }, b);
				rmsnormGrad(ctx, { x: kr(a.kRaw[l]), weight: L.kNorm, dy: kr(a.dk), dx: kr(a.dkRaw), dweight: L.kNormP?.grad, eps }, b);
				dq = a.dqRaw;
				dk = a.dkRaw;
			}
			this.projBack(b, P.q, a.h1[l], as(dq, [T, qd]), a.dh, false, a, l);
			this.projBack(b, P.k, a.h1[l], as(dk, [T, kvd]), a.dh, true, a, l);
			this.projBack(b, P.v, a.h1[l], as(a.dv, [T, kvd]), a.dh, true, a, l);
			rmsnormGrad(ctx, { x: a.xs[l], weight: L.inputNorm, dy: a.dh, dx: a.dx, dweight: L.inputNormP?.grad, eps, accumulate: true }, b);
		}
		if (sp.embed) embeddingGrad(ctx, { ids: packed.ids, dy: a.dx, grad: sp.embed.grad }, b);
	}

	private freeActs(): void {
		if (!this.acts) return;
		for (const t of this.acts.all) t.buffer.destroy();
		this.acts = null;
	}

	private actsFor(p: PackedBatch): Acts {
		const T = p.ids.length;
		const W = p.maxLen;
		const key = `${T}|${W}`;
		if (this.acts?.key === key) return this.acts;
		this.freeActs();
		const c = this.config;
		const { hiddenSize: D, numHeads: Hq, numKvHeads: Hkv, headDim: Dh, intermediateSize: I, numLayers: nL } = c;
		const ctx = this.ctx;
		const all: DeviceTensor[] = [];
		const e = (shape: number[], dtype: 'f32' | 'u32' = 'f32') => {
			const t = emptyTensor(ctx, shape, dtype);
			all.push(t);
			return t;
		};
		const per = (shape: number[]) => Array.from({ length: nL }, () => e(shape));
		const r = this.o.rank;
		const lora = this.o.mode === 'lora';
		const ones = tensorFrom(ctx, new Float32Array(T).fill(1), [T]);
		all.push(ones);
		const maxN = Math.max(D, Hq * Dh, Hkv * Dh, I);
		const acts: Acts = {
			key,
			T,
			W,
			ids: e([T], 'u32'),
			pos: e([T], 'u32'),
			targets: e([T], 'u32'),
			weights: e([T]),
			lossRows: e([T]),
			ones,
			xs: Array.from({ length: nL + 1 }, () => e([T, D])),
			mids: per([T, D]),
			h1: per([T, D]),
			h2: per([T, D]),
			q: per([T, Hq, Dh]),
			k: per([T, Hkv, Dh]),
			qRaw: c.qkNorm ? per([T, Hq, Dh]) : [],
			kRaw: c.qkNorm ? per([T, Hkv, Dh]) : [],
			v: per([T, Hkv, Dh]),
			att: per([T, Hq, Dh]),
			lse: per([2 * T * Hq]),
			gate: per([T, I]),
			up: per([T, I]),
			act: per([T, I]),
			ax: this.layers.map((L) => {
				const m: Partial<Record<LoraTarget, DeviceTensor>> = {};
				for (const t of LORA_TARGETS) if (lora && L.proj[t].lora) m[t] = e([T, r]);
				return m;
			}),
			tmp: e([T * maxN]),
			branch: e([T, D]),
			hF: e([T, D]),
			logits: e([T, c.vocabSize]),
			dx: e([T, D]),
			dh: e([T, D]),
			dAct: e([T, I]),
			dGate: e([T, I]),
			dUp: e([T, I]),
			dAtt: e([T, Hq, Dh]),
			dq: e([T, Hq, Dh]),
			dk: e([T, Hkv, Dh]),
			dv: e([T, Hkv, Dh]),
			dqRaw: c.qkNorm ? e([T, Hq, Dh]) : null,
			dkRaw: c.qkNorm ? e([T, Hkv, Dh]) : null,
			dax: e([T * r]),
			attScratch: e([attentionScratchSize(T, Hq, W)]),
			all
		};
		this.acts = acts;
		return acts;
	}
}
