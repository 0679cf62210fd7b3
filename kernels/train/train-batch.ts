/**
 * A training batch: token sequences with a loss mask, validated with zod and packed into the
 * flat arrays the GPU step and the CPU reference share.
 *
 * `lossMask[i] = 1` marks token i as a training target (an assistant token): the position
 * before it is trained to predict it. The first token of a sequence is never a target.
 */
import { z } from 'zod';
import { GpuError } from '../gpu/errors.js';

/** What a worker hands to `step` / `evaluate`. */
export interface TrainBatch {
	tokens: Int32Array[];
	lossMask: Uint8Array[];
}

export const trainBatchSchema = z
	.object({
		tokens: z.array(z.instanceof(Int32Array)).min(1, 'the batch has no sequences'),
		lossMask: z.array(z.instanceof(Uint8Array))
	})
	.refine((b) => b.tokens.length === b.lossMask.length, { message: 'tokens and lossMask must have one entry per sequence' })
	.refine((b) => b.tokens.every((t, i) => t.length === b.lossMask[i].length), { message: 'each lossMask must be as long as its token sequence' })
	.refine((b) => b.tokens.every((t) => t.length >= 2), { message: 'every sequence needs at least 2 tokens (one to read, one to predict)' });

/** The batch flattened to T tokens. */
export interface PackedBatch {
	/** Token ids [T]. */
	ids: Uint32Array;
	/** Position of each token in its sequence [T]. */
	pos: Uint32Array;
	/** Next-token target of each position [T] (0 where none). */
	targets: Uint32Array;
	/** Loss weight of each position [T]: 1/count where the target is masked in, else 0. */
	weights: Float32Array;
	/** Trained target tokens (count). */
	count: number;
	/** Longest sequence. */
	maxLen: number;
	/** End offset (exclusive) of each sequence in the packed stream. */
	seqEnds: Uint32Array;
}

/** How packBatch weighs the masked positions. */
export interface PackOptions {
	/** 'mean' [default]: 1/count (the SFT loss); 'sum': 1 (per-sequence log-prob sums). */
	weights?: 'mean' | 'sum';
	/** Throw when no target is masked in [default true]. */
	requireTargets?: boolean;
}

/** Validates `b` against the vocabulary and context length, and packs it. */
export function packBatch(b: TrainBatch, vocabSize: number, maxPositions: number, o: PackOptions = {}): PackedBatch {
	const parsed = trainBatchSchema.safeParse(b);
	if (!parsed.success) throw new GpuError('invalid-input', `training batch: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
	const T = b.tokens.reduce((n, t) => n + t.length, 0);
	const ids = new Uint32Array(T);
	const pos = new Uint32Array(T);
	const targets = new Uint32Array(T);
	const mask = new Uint8Array(T);
	const seqEnds = new Uint32Array(b.tokens.length);
	let off = 0;
	let maxLen = 0;
	let count = 0;
	b.tokens.forEach((seq, s) => {
		if (seq.length > maxPositions) {
			throw new GpuError('invalid-input', `training batch: sequence ${s} has ${seq.length} tokens, more than the ${maxPositions} positions the trainer was built for`);
		}
		maxLen = Math.max(maxLen, seq.length);
		for (let i = 0; i < seq.length; i++) {
			const id = seq[i];
			if (id < 0 || id >= vocabSize) throw new GpuError('invalid-input', `training batch: token id ${id} in sequence ${s} is outside the vocabulary [0, ${vocabSize})`);
			ids[off + i] = id;
			pos[off + i] = i;
			if (i + 1 < seq.length) {
				targets[off + i] = seq[i + 1];
				if (b.lossMask[s][i + 1]) {
					mask[off + i] = 1;
					count++;
				}
			}
		}
		off += seq.length;
		seqEnds[s] = off;
	});
	if (count === 0 && o.requireTargets !== false) {
		throw new GpuError('invalid-input', 'training batch: the loss mask selects no token to predict (mark the assistant tokens after the first of a sequence with 1)');
	}
	const weights = Float32Array.from(mask, (m) => (o.weights === 'sum' ? m : m / count));
	return { ids, pos, targets, weights, count, maxLen, seqEnds };
}

/** Preference pairs: chosen[i] is preferred over rejected[i] (same prompt). */
export interface PreferenceBatch {
	chosen: Int32Array[];
	rejected: Int32Array[];
	/** Response tokens of each sequence (DPO sums their log-probs); unused by the reward model. */
	chosenMask?: Uint8Array[];
	rejectedMask?: Uint8Array[];
}

const preferenceSchema = z
	.object({
		chosen: z.array(z.instanceof(Int32Array)).min(1, 'the batch has no pairs'),
		rejected: z.array(z.instanceof(Int32Array)),
		chosenMask: z.array(z.instanceof(Uint8Array)).optional(),
		rejectedMask: z.array(z.instanceof(Uint8Array)).optional()
	})
	.refine((b) => b.chosen.length === b.rejected.length, { message: 'chosen and rejected must have one sequence per pair' });

/** Chosen then rejected sequences as one TrainBatch (masks zero where not given). */
export function preferenceAsBatch(b: PreferenceBatch, needMasks: boolean): TrainBatch {
	const parsed = preferenceSchema.safeParse(b);
	if (!parsed.success) throw new GpuError('invalid-input', `preference batch: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
	if (needMasks && (!b.chosenMask || !b.rejectedMask)) {
		throw new GpuError('invalid-input', 'preference batch: DPO needs chosenMask and rejectedMask (1 on the response tokens)');
	}
	const zeros = (t: Int32Array) => new Uint8Array(t.length);
	return {
		tokens: [...b.chosen, ...b.rejected],
		lossMask: [...(b.chosenMask ?? b.chosen.map(zeros)), ...(b.rejectedMask ?? b.rejected.map(zeros))]
	};
}
