/**
 * A worker's local training, model by model: from the round's parameters, H AdamW steps (one
 * per batch of the lease, fresh optimizer state, the lease's lr/clip/weight decay), giving
 * `delta = θ_local − θ`. Platform-neutral; the bigram model trains on the CPU here, Llama
 * models on WebGPU in ./llama.ts.
 */
import { trainLocally } from '../bigram.js';
import type { TrainingExample } from '../datasets.js';
import type { Lease } from '../manager.js';

/** What one unit of local training gives back. */
export interface LocalResult {
	delta: Float32Array;
	/** Mean training loss over the inner steps (each measured before its update). */
	trainLoss: number;
	/** Tokens trained on (the model's own count: target tokens for Llama SFT, both sides of each pair for preference jobs, transitions for the bigram). */
	tokens: number;
	/** Preference jobs: mean share of pairs ranked right over the inner steps (before each update). */
	trainAccuracy?: number;
}

/** Per-step progress. */
export interface StepReport {
	step: number;
	of: number;
	loss: number;
	tokens: number;
	/** Preference jobs: share of the step's pairs ranked right. */
	accuracy?: number;
}

/** Trains one lease locally. */
export interface LocalTrainer {
	train(
		lease: Lease,
		params: Float32Array,
		batches: TrainingExample[][],
		/** `reference`: DPO's frozen reference parameters (the job's version 0). */
		options?: { signal?: AbortSignal; onStep?: (report: StepReport) => void; reference?: Float32Array }
	): Promise<LocalResult>;
	/** Frees what the trainer holds (GPU buffers). */
	dispose?(): void;
}

/** The stop a worker's abort signal causes (the unit is left to expire; nothing is sent). */
export class WorkerStopped extends Error {
	override name = 'WorkerStopped';
	constructor() {
		super('the worker was stopped before it finished this unit; its lease will expire and go to another worker');
	}
}

/** Throws WorkerStopped when `signal` is aborted. */
export function checkStopped(signal: AbortSignal | undefined): void {
	if (signal?.aborted) throw new WorkerStopped();
}

/** The built-in character bigram (CPU; exact gradients). */
export const bigramTrainer: LocalTrainer = {
	async train(lease, params, batches, options = {}) {
		checkStopped(options.signal);
		const result = trainLocally(params, batches, lease.inner, lease.mode);
		options.onStep?.({ step: batches.length, of: batches.length, loss: result.trainLoss, tokens: result.tokens });
		return result;
	}
};
