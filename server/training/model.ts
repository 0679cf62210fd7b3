/**
 * What the training manager needs from a model, and nothing more: it works on flat f32 vectors of
 * the trainable parameters (for LoRA, the adapters' A and B matrices concatenated in the order the
 * model documents; a reward model's head after them) and asks the model for three things: how many
 * parameters a mode and objective train, their starting values, and a validation loss (SFT: mean
 * cross-entropy per target token; reward: the pairwise loss; DPO: the DPO loss against the job's
 * version 0). The GPU Llama evaluator implements the same interface.
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
	/** DPO: the frozen reference's parameters (the job's version 0; for LoRA the base with B = 0). */
	reference?: Float32Array;
	/** Preference objectives: the reward model's L2 λ and DPO's β (the job's hyper-parameters). */
	preference?: { rewardL2: number; dpoBeta: number };
}

/** A held-out score: the loss, and for preference objectives the share of pairs ranked right. */
export interface ValidationResult {
	loss: number;
	accuracy: number | null;
}

/** Scores a parameter vector on the job's held-out batch (lower is better). */
export interface TrainingEvaluator {
	validationLoss(params: Float32Array, job: EvaluationJob): Promise<number>;
	/** The loss with the accuracy where the objective has one (one evaluation for both). */
	validate?(params: Float32Array, job: EvaluationJob): Promise<ValidationResult>;
}

/** A model the server can run jobs for. */
export interface TrainingModel {
	/** The base model id jobs name. */
	readonly id: string;
	readonly objectives: readonly TrainingObjective[];
	readonly modes: readonly TrainingMode['kind'][];
	/** Why this model cannot train in `mode` (unknown target, rank too large…), or null. */
	unsupported?(mode: TrainingMode): string | null;
	/** Trainable parameters in `mode` for `objective` (a reward model adds its head; default sft). */
	parameterCount(mode: TrainingMode, objective?: TrainingObjective): number;
	/** The starting trainable parameters (deterministic in `seed`; GPU models read them from the device). */
	initialParameters(mode: TrainingMode, seed: number, objective?: TrainingObjective): Float32Array | Promise<Float32Array>;
	/** Tokens an example costs to train on (credited to contributors), cut to `sequenceTokens` where the model has tokens. */
	tokens(example: TrainingExample, sequenceTokens: number): number;
	readonly evaluator: TrainingEvaluator;
}
