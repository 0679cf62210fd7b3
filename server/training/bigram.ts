/**
 * A real, tiny language model in plain TypeScript: a character bigram softmax model, so the
 * distributed-training machinery can be tested end to end with honest workers that really train
 * (exact gradients, AdamW) and a loss that really falls. No GPU, no files.
 *
 * Vocabulary (V = 98): 0 = boundary (start and end of an example), 1 = any other character,
 * 2…96 = printable ASCII 32…126, 97 = newline. The model is the logits W (V × V, row = previous
 * symbol). An example is its `plainText` (User:/Assistant: turns) between two boundaries; its
 * tokens are its transitions.
 *
 * Trainable parameters, flat f32:
 * - `full`: W row-major (V² = 9,604 values), starting at zeros (uniform predictions);
 * - `lora` (target `logits`, rank r, alpha α): W = (α / r) · B · A over a frozen zero base, in the
 *   PEFT convention — `lora_A` (r × V, Kaiming-uniform, bound 1/√V) then `lora_B` (V × r, zeros),
 *   each row-major: 2·V·r values. Several targets concatenate in the order the job lists them,
 *   A before B within each, which is the order GPU models use too.
 *
 * Loss of a batch = mean over transitions of −log softmax(W[prev])[next]. With the transition
 * counts C and row totals n_a: L = (1/N) Σ_a (n_a · logsumexp(W[a]) − Σ_b C_ab W_ab) and
 * ∂L/∂W_ab = (n_a · softmax(W[a])_b − C_ab) / N — exact, and O(V²) per step whatever the batch.
 */
import { mulberry32, plainText, type TrainingExample } from './datasets.js';
import type { EvaluationJob, TrainingEvaluator, TrainingMode, TrainingModel } from './model.js';

export const BIGRAM_MODEL_ID = 'oasis/char-bigram';
export const V = 98;

/** Symbol of a UTF-16 code unit. */
export function symbol(code: number): number {
	if (code === 10) return 97;
	if (code >= 32 && code <= 126) return code - 30;
	return 1;
}

/** Transition counts of `examples` (Float64Array V×V) and their total. */
export function transitionCounts(examples: readonly TrainingExample[]): { counts: Float64Array; total: number } {
	const counts = new Float64Array(V * V);
	let total = 0;
	for (const e of examples) {
		const text = plainText(e);
		let prev = 0;
		for (let i = 0; i < text.length; i++) {
			const s = symbol(text.charCodeAt(i));
			counts[prev * V + s]!++;
			prev = s;
		}
		counts[prev * V]!++;
		total += text.length + 1;
	}
	return { counts, total };
}

/** Mean loss of `params` on counts, and optionally its exact gradient into `grad`. */
export function lossAndGradient(params: Float32Array, counts: Float64Array, total: number, grad?: Float32Array): number {
	if (params.length !== V * V) throw new RangeError(`the bigram model has ${V * V} parameters, not ${params.length}`);
	if (total === 0) return 0;
	let loss = 0;
	const p = new Float64Array(V);
	for (let a = 0; a < V; a++) {
		let n = 0;
		for (let b = 0; b < V; b++) n += counts[a * V + b]!;
		if (n === 0) {
			if (grad) grad.fill(0, a * V, a * V + V);
			continue;
		}
		let max = -Infinity;
		for (let b = 0; b < V; b++) max = Math.max(max, params[a * V + b]!);
		let sum = 0;
		for (let b = 0; b < V; b++) {
			p[b] = Math.exp(params[a * V + b]! - max);
			sum += p[b]!;
		}
		const lse = max + Math.log(sum);
		loss += n * lse;
		for (let b = 0; b < V; b++) {
			loss -= counts[a * V + b]! * params[a * V + b]!;
			if (grad) grad[a * V + b] = (n * (p[b]! / sum) - counts[a * V + b]!) / total;
		}
	}
	return loss / total;
}

/** Why the bigram model cannot train in `mode`, or null when it can. */
export function unsupportedMode(mode: TrainingMode): string | null {
	if (mode.kind === 'full') return null;
	if (mode.targets.length !== 1 || mode.targets[0] !== 'logits') return `the bigram model has one LoRA target, "logits" (not ${mode.targets.join(', ')})`;
	if (mode.rank > V) return `a LoRA rank above ${V} is pointless for a ${V}×${V} matrix`;
	return null;
}

/** Trainable parameters in `mode`. */
export function parameterCount(mode: TrainingMode): number {
	return mode.kind === 'full' ? V * V : 2 * V * mode.rank;
}

/** The logits W a parameter vector stands for. */
export function logitsOf(params: Float32Array, mode: TrainingMode): Float32Array {
	if (params.length !== parameterCount(mode)) throw new RangeError(`${mode.kind} mode has ${parameterCount(mode)} parameters, not ${params.length}`);
	if (mode.kind === 'full') return params;
	const r = mode.rank;
	const s = mode.alpha / r;
	const A = params.subarray(0, r * V);
	const B = params.subarray(r * V);
	const W = new Float32Array(V * V);
	for (let a = 0; a < V; a++) {
		for (let k = 0; k < r; k++) {
			const bak = s * B[a * r + k]!;
			if (bak === 0) continue;
			for (let b = 0; b < V; b++) W[a * V + b]! += bak * A[k * V + b]!;
		}
	}
	return W;
}

/** Loss of a parameter vector in `mode`, with its exact gradient (chain rule through LoRA). */
export function parameterLossAndGradient(params: Float32Array, mode: TrainingMode, counts: Float64Array, total: number, grad?: Float32Array): number {
	const W = logitsOf(params, mode);
	if (mode.kind === 'full') return lossAndGradient(W, counts, total, grad);
	if (!grad) return lossAndGradient(W, counts, total);
	const G = new Float32Array(V * V);
	const loss = lossAndGradient(W, counts, total, G);
	const r = mode.rank;
	const s = mode.alpha / r;
	const A = params.subarray(0, r * V);
	const B = params.subarray(r * V);
	grad.fill(0);
	// dA = s · Bᵀ G (r × V);  dB = s · G Aᵀ (V × r)
	for (let a = 0; a < V; a++) {
		for (let k = 0; k < r; k++) {
			const bak = s * B[a * r + k]!;
			let dB = 0;
			for (let b = 0; b < V; b++) {
				const g = G[a * V + b]!;
				grad[k * V + b]! += bak * g;
				dB += g * A[k * V + b]!;
			}
			grad[r * V + a * r + k] = s * dB;
		}
	}
	return loss;
}

/** Starting parameters: zeros (full), or Kaiming-uniform A and zero B (LoRA). */
export function initialParameters(mode: TrainingMode, seed: number): Float32Array {
	const params = new Float32Array(parameterCount(mode));
	if (mode.kind === 'lora') {
		const random = mulberry32(seed);
		const bound = 1 / Math.sqrt(V);
		for (let i = 0; i < mode.rank * V; i++) params[i] = (2 * random() - 1) * bound;
	}
	return params;
}

/** Inner-loop settings a work unit carries. */
export interface InnerHyper {
	lr: number;
	/** Global gradient-norm clip (0 = off). */
	clip: number;
	/** Decoupled (AdamW) weight decay. */
	weightDecay: number;
}

/**
 * A worker's local training: one AdamW step per batch (H = batches.length), starting from
 * `params` with fresh optimizer state. Returns `delta = θ_local − θ` and the mean training loss
 * over the steps (each measured before its update).
 */
export function trainLocally(
	params: Float32Array,
	batches: readonly (readonly TrainingExample[])[],
	hyper: InnerHyper,
	mode: TrainingMode = { kind: 'full' }
): { delta: Float32Array; trainLoss: number; tokens: number } {
	const theta = Float32Array.from(params);
	const m = new Float64Array(theta.length);
	const v = new Float64Array(theta.length);
	const grad = new Float32Array(theta.length);
	const [b1, b2, eps] = [0.9, 0.999, 1e-8];
	let lossSum = 0;
	let tokens = 0;
	batches.forEach((batch, step) => {
		const { counts, total } = transitionCounts(batch);
		tokens += total;
		lossSum += parameterLossAndGradient(theta, mode, counts, total, grad);
		let norm = 0;
		for (let i = 0; i < grad.length; i++) norm += grad[i]! * grad[i]!;
		norm = Math.sqrt(norm);
		const scale = hyper.clip > 0 && norm > hyper.clip ? hyper.clip / norm : 1;
		const t = step + 1;
		for (let i = 0; i < theta.length; i++) {
			const g = grad[i]! * scale;
			m[i] = b1 * m[i]! + (1 - b1) * g;
			v[i] = b2 * v[i]! + (1 - b2) * g * g;
			const mh = m[i]! / (1 - b1 ** t);
			const vh = v[i]! / (1 - b2 ** t);
			theta[i] = theta[i]! - hyper.lr * (mh / (Math.sqrt(vh) + eps) + hyper.weightDecay * theta[i]!);
		}
	});
	const delta = new Float32Array(theta.length);
	for (let i = 0; i < theta.length; i++) delta[i] = theta[i]! - params[i]!;
	return { delta, trainLoss: batches.length ? lossSum / batches.length : 0, tokens };
}

/** Validation loss on the job's held-out batch (counts cached per batch). */
export class BigramEvaluator implements TrainingEvaluator {
	private cache = new WeakMap<readonly TrainingExample[], { counts: Float64Array; total: number }>();

	async validationLoss(params: Float32Array, job: EvaluationJob): Promise<number> {
		let c = this.cache.get(job.validation);
		if (!c) {
			c = transitionCounts(job.validation);
			this.cache.set(job.validation, c);
		}
		return parameterLossAndGradient(params, job.mode, c.counts, c.total);
	}
}

/** The bigram model as a `TrainingModel` (SFT; full or LoRA on `logits`). */
export const bigramModel: TrainingModel = {
	id: BIGRAM_MODEL_ID,
	objectives: ['sft'],
	modes: ['full', 'lora'],
	unsupported: unsupportedMode,
	parameterCount,
	initialParameters,
	tokens: (example) => plainText(example).length + 1,
	evaluator: new BigramEvaluator()
};
