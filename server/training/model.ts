/**
 * What the training manager needs from a model, and nothing more: it works on flat f32 vectors of
 * the trainable parameters (for LoRA, the adapters' A and B matrices concatenated in the order the
 * model documents) and asks the model for three things: how many parameters a mode trains, their
 * starting values, and a validation loss. The GPU Llama evaluator implements the same interface.
 */
import type { TrainingExample, TrainingObjective } from './datasets.js';

/** How a job trains: all parameters, or LoRA adapters on the named projections. */
export type TrainingMode = { kind: 'full' } | { kind: 'lora'; rank: number; alpha: number; targets: string[] };

/** What an evaluator is told about the job it scores. */
export interface EvaluationJob {
	id: string;
	objective: TrainingObjective;
	mode: TrainingMode;
	/** The held-out batch (validation split of the job's snapshot, capped by the job). */
	validation: readonly TrainingExample[];
	/** Longest sequence in tokens (token models cut longer examples to this window). */
	sequenceTokens: number;
}

/** Scores a parameter vector on the job's held-out batch (mean loss per token; lower is better). */
export interface TrainingEvaluator {
	validationLoss(params: Float32Array, job: EvaluationJob): Promise<number>;
}

/** A model the server can run jobs for. */
export interface TrainingModel {
	/** The base model id jobs name. */
	readonly id: string;
	readonly objectives: readonly TrainingObjective[];
	readonly modes: readonly TrainingMode['kind'][];
	/** Why this model cannot train in `mode` (unknown target, rank too large…), or null. */
	unsupported?(mode: TrainingMode): string | null;
	/** Trainable parameters in `mode`. */
	parameterCount(mode: TrainingMode): number;
	/** The starting trainable parameters (deterministic in `seed`; GPU models read them from the device). */
	initialParameters(mode: TrainingMode, seed: number): Float32Array | Promise<Float32Array>;
	/** Tokens an example costs to train on (credited to contributors), cut to `sequenceTokens` where the model has tokens. */
	tokens(example: TrainingExample, sequenceTokens: number): number;
	readonly evaluator: TrainingEvaluator;
}
