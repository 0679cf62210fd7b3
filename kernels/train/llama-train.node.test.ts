/**
 * Whole-model training step on tiny random models (kernels/models/testing/fixtures.ts):
 * - the reference's loss equals the cross-entropy of the inference reference (LlamaRef);
 * - the float64 reference's gradients (llama-train.ref.ts) match central finite differences of
 *   its own loss on a few entries of every tensor (Llama with GQA and partial rotary; Qwen2
 *   with biases and tied embeddings; Qwen3 with per-head q/k norms; LoRA adapters);
 * - the GPU gradients match the reference: per tensor, max|gpu − ref| <= 2e-3·max|ref| + 1e-6
 *   (f32 accumulation over a few hundred terms), for full training and for LoRA;
 * - AdamW steps on one small batch lower the loss by >= 30% (LoRA over f32, q8, q4 and f16 bases,
 *   and full training);
 * - the reward-model and DPO losses: references vs finite differences, GPU gradients vs the
 *   references (same tolerance), and a few steps lowering each loss.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../gpu/context.js';
import { testContext } from '../testing/context.js';
import { rng, normal } from '../testing/rng.js';
import { expectClose } from '../testing/compare.js';
import { parseHfConfig } from '../models/config.js';
import { openModel, type ModelFiles } from '../models/model-files.js';
import { folderSource } from '../models/source-node.js';
import { randomModel, writeHfFolder, type FixtureSpec } from '../models/testing/fixtures.js';
import { refWeights } from '../models/testing/ref-weights.js';
import { LlamaRef } from '../models/llama.ref.js';
import { LlamaTrainer, type TrainBatch } from './llama-train.js';
import { dpoModelRef, llamaTrainRef, loraNames, LORA_TARGETS, REWARD_HEAD, rewardModelRef } from './llama-train.ref.js';
import { packBatch, preferenceAsBatch, type PreferenceBatch } from './train-batch.js';
import { fdCheck } from './testing/fd.js';

let ctx: GpuContext;
let dir: string;
beforeAll(async () => {
	ctx = await testContext();
	dir = await mkdtemp(join(tmpdir(), 'oasis-train-'));
});
afterAll(async () => {
	ctx?.destroy();
	await rm(dir, { recursive: true, force: true });
});

const LLAMA: FixtureSpec = { arch: 'llama', vocab: 23, hidden: 12, intermediate: 20, layers: 2, heads: 4, kvHeads: 2, headDim: 6, tie: false, seed: 5, partialRotary: 2 / 3 };
const QWEN2: FixtureSpec = { arch: 'qwen2', vocab: 19, hidden: 10, intermediate: 14, layers: 2, heads: 2, kvHeads: 1, headDim: 6, tie: true, seed: 6 };
// YaRN on Qwen3: the attention factor scales cos/sin in the forward and the backward.
const QWEN3: FixtureSpec = {
	arch: 'qwen3', vocab: 17, hidden: 8, intermediate: 12, layers: 2, heads: 4, kvHeads: 2, headDim: 4, tie: true, seed: 7,
	ropeScaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 64 }
};

/** Two sequences (lengths 7 and 5), trained on their later tokens. */
function smallBatch(vocab: number, seed: number, lens = [7, 5]): TrainBatch {
	const r = rng(seed);
	const tokens = lens.map((n) => Int32Array.from({ length: n }, () => Math.floor(r() * vocab)));
	const lossMask = lens.map((n) => Uint8Array.from({ length: n }, (_, i) => (i >= 2 ? 1 : 0)));
	return { tokens, lossMask };
}

async function folder(name: string, spec: FixtureSpec): Promise<ModelFiles> {
	const d = join(dir, name);
	await writeHfFolder(d, randomModel(spec));
	return openModel(folderSource(d));
}

/** Reference weights as float64 (what the GPU sees) plus the trainer's current adapters. */
async function refInputs(files: ModelFiles, trainer: LlamaTrainer | null, quant: 'none' | 'q8' | 'q4' = 'none') {
	const w = new Map<string, Float64Array>();
	for (const [k, v] of await refWeights(files, quant, false)) w.set(k, Float64Array.from(v));
	if (trainer) {
		const flat = await trainer.readParameters();
		for (const p of trainer.parameters()) w.set(p.name, Float64Array.from(flat.subarray(p.offset, p.offset + p.size)));
	}
	return w;
}

function expectGradsClose(gpu: Float32Array, trainer: LlamaTrainer, ref: Map<string, Float64Array>): void {
	for (const p of trainer.parameters()) {
		const want = ref.get(p.name) ?? new Float64Array(p.size);
		let maxRef = 0;
		let maxErr = 0;
		for (let i = 0; i < p.size; i++) {
			maxRef = Math.max(maxRef, Math.abs(want[i]));
			maxErr = Math.max(maxErr, Math.abs(gpu[p.offset + i] - want[i]));
		}
		if (maxErr > 2e-3 * maxRef + 1e-6) expect.fail(`${p.name}: max error ${maxErr} vs max |ref| ${maxRef}`);
	}
}

describe('reference gradients vs finite differences', () => {
	it.each([['llama', LLAMA], ['qwen2', QWEN2], ['qwen3', QWEN3]] as const)('%s: the loss agrees with the inference reference (LlamaRef)', (_, spec) => {
		const f = randomModel(spec);
		const c = parseHfConfig(f.config);
		const batch = smallBatch(spec.vocab, 11);
		const w = new Map<string, Float32Array>();
		for (const [k, v] of f.weights) w.set(k, v.data);
		let want = 0;
		let count = 0;
		batch.tokens.forEach((seq, s) => {
			const ref = new LlamaRef(c, w);
			for (let i = 0; i + 1 < seq.length; i++) {
				const logits = ref.forwardOne(seq[i]);
				if (!batch.lossMask[s][i + 1]) continue;
				const m = Math.max(...logits);
				const lse = m + Math.log(logits.reduce((a, x) => a + Math.exp(x - m), 0));
				want += lse - logits[seq[i + 1]];
				count++;
			}
		});
		const got = llamaTrainRef(c, w, packBatch(batch, c.vocabSize, 64), null).loss;
		expect(got).toBeCloseTo(want / count, 8);
	});

	it.each([['llama', LLAMA], ['qwen2', QWEN2], ['qwen3', QWEN3]] as const)('%s: every tensor, full and LoRA', (_, spec) => {
		const f = randomModel(spec);
		const c = parseHfConfig(f.config);
		const packed = packBatch(smallBatch(spec.vocab, 1), c.vocabSize, 64);
		const w = new Map<string, Float64Array>();
		for (const [k, v] of f.weights) w.set(k, Float64Array.from(v.data));
		const r = rng(2);
		const rank = 2;
		for (const [k, v] of f.weights) {
			const m = /\.(q|k|v|o|gate|up|down)_proj\.weight$/.exec(k);
			if (!m) continue;
			const n = loraNames(k);
			const [rows, cols] = v.shape;
			w.set(n.a, Float64Array.from(normal(r, rank * cols, 0.3)));
			w.set(n.b, Float64Array.from(normal(r, rows * rank, 0.3)));
		}
		const lora = { targets: LORA_TARGETS, rank, scale: 1.5 };
		const { grads } = llamaTrainRef(c, w, packed, lora);
		for (const [name, x] of w) {
			const which = [0, Math.floor(x.length / 2), x.length - 1];
			const loss = (v: Float64Array) => llamaTrainRef(c, new Map(w).set(name, v), packed, lora).loss;
			fdCheck(loss, x, grads.get(name)!, name, { which, rtol: 1e-5 });
		}
	});
});

describe('GPU training step', () => {
	it.each([['llama', LLAMA], ['qwen2', QWEN2], ['qwen3', QWEN3]] as const)('%s: full-training gradients match the reference', async (name, spec) => {
		const files = await folder(`full-${name}`, spec);
		const trainer = await LlamaTrainer.create(ctx, files, { mode: 'full' });
		try {
			const batch = smallBatch(spec.vocab, 3);
			const res = await trainer.computeGradients(batch);
			const ref = llamaTrainRef(files.config, await refInputs(files, null), packBatch(batch, spec.vocab, 64), null);
			expect(res.loss).toBeCloseTo(ref.loss, 4);
			expect(res.tokens).toBe(8);
			expectGradsClose(await trainer.readGradients(), trainer, ref.grads);
			expect(trainer.parameters().map((p) => p.name)).toContain('model.embed_tokens.weight');
		} finally {
			trainer.dispose();
		}
	});

	it('LoRA gradients (all seven projections, nonzero B) match the reference', async () => {
		const files = await folder('lora-llama', LLAMA);
		const trainer = await LlamaTrainer.create(ctx, files, { mode: 'lora', rank: 3, alpha: 6 });
		try {
			expect(trainer.parameters()).toHaveLength(LLAMA.layers * 7 * 2);
			trainer.writeParameters(normal(rng(4), trainer.parameterCount, 0.3));
			const batch = smallBatch(LLAMA.vocab, 5);
			const res = await trainer.computeGradients(batch);
			const ref = llamaTrainRef(files.config, await refInputs(files, trainer), packBatch(batch, LLAMA.vocab, 64), { targets: LORA_TARGETS, rank: 3, scale: 2 });
			expect(res.loss).toBeCloseTo(ref.loss, 4);
			expectGradsClose(await trainer.readGradients(), trainer, ref.grads);
		} finally {
			trainer.dispose();
		}
	});

	const SPEC32: FixtureSpec = { arch: 'llama', vocab: 40, hidden: 32, intermediate: 64, layers: 2, heads: 2, kvHeads: 1, headDim: 16, tie: true, seed: 9 };
	it.each([
		['lora', 'none'],
		['lora', 'q8'],
		['lora', 'q4'],
		['lora', 'f16'],
		['full', 'none']
	] as const)('AdamW steps lower the loss by at least 30 percent (%s, base %s)', async (mode, quant) => {
		if (quant === 'f16' && !ctx.features.f16) return;
		const files = await folder(`fit-${mode}-${quant}`, SPEC32);
		const trainer = await LlamaTrainer.create(ctx, files, { mode, quant, rank: 4, alpha: 8, lr: mode === 'full' ? 3e-3 : 2e-2, weightDecay: 0.01, clip: 1 });
		try {
			const batch = smallBatch(SPEC32.vocab, 7, [10, 8]);
			const before = await trainer.evaluate(batch);
			let last = { loss: 0, tokens: 0, gradNorm: 0 };
			for (let i = 0; i < 10; i++) last = await trainer.step(batch);
			const after = await trainer.evaluate(batch);
			expect(last.gradNorm).toBeGreaterThan(0);
			expect(trainer.steps).toBe(10);
			expect(after).toBeLessThan(0.7 * before);
		} finally {
			trainer.dispose();
		}
	});

	it('refuses bad batches and options with clear errors', async () => {
		const files = await folder('errors', QWEN2);
		await expect(LlamaTrainer.create(ctx, files, { mode: 'full', quant: 'q8' })).rejects.toThrow(/full training computes in f32/);
		await expect(LlamaTrainer.create(ctx, files, { rank: 0 })).rejects.toThrow(/rank/);
		const trainer = await LlamaTrainer.create(ctx, files, { rank: 2 });
		try {
			await expect(trainer.step({ tokens: [Int32Array.of(1, 2)], lossMask: [Uint8Array.of(1, 0)] })).rejects.toThrow(/selects no token/);
			await expect(trainer.step({ tokens: [Int32Array.of(1, 99)], lossMask: [Uint8Array.of(1, 1)] })).rejects.toThrow(/outside the vocabulary/);
			await expect(trainer.step({ tokens: [Int32Array.of(1, 2)], lossMask: [Uint8Array.of(1)] })).rejects.toThrow(/as long as/);
		} finally {
			trainer.dispose();
		}
	});
});

/** Two preference pairs sharing a 3-token prompt; masks on the responses. */
function pairs(vocab: number, seed: number): PreferenceBatch {
	const r = rng(seed);
	const seq = (n: number) => Int32Array.from({ length: n }, () => Math.floor(r() * vocab));
	const chosen = [seq(6), seq(5)];
	const rejected = [seq(5), seq(7)];
	const mask = (t: Int32Array) => Uint8Array.from(t, (_, i) => (i >= 3 ? 1 : 0));
	return { chosen, rejected, chosenMask: chosen.map(mask), rejectedMask: rejected.map(mask) };
}

describe('preference losses on the whole model', () => {
	it('reward-model and DPO references match finite differences', () => {
		const f = randomModel(LLAMA);
		const c = parseHfConfig(f.config);
		const w = new Map<string, Float64Array>();
		for (const [k, v] of f.weights) w.set(k, Float64Array.from(v.data));
		w.set(REWARD_HEAD, Float64Array.from(normal(rng(3), c.hiddenSize, 0.3)));
		const pb = pairs(LLAMA.vocab, 1);
		const rb = packBatch(preferenceAsBatch(pb, false), c.vocabSize, 64, { requireTargets: false });
		const rw = rewardModelRef(c, w, rb, null, 0.01);
		const db = packBatch(preferenceAsBatch(pb, true), c.vocabSize, 64, { weights: 'sum' });
		const ref = { chosen: [-20, -15], rejected: [-16, -22] };
		const dp = dpoModelRef(c, w, db, null, ref, 0.5);
		for (const name of [REWARD_HEAD, 'model.embed_tokens.weight', 'model.layers.0.self_attn.k_proj.weight', 'model.layers.1.mlp.down_proj.weight', 'model.norm.weight']) {
			const x = w.get(name)!;
			const which = [0, Math.floor(x.length / 3), x.length - 1];
			fdCheck((v) => rewardModelRef(c, new Map(w).set(name, v), rb, null, 0.01).loss, x, rw.grads.get(name)!, `reward ${name}`, { which, rtol: 1e-5 });
			if (name === REWARD_HEAD) continue;
			fdCheck((v) => dpoModelRef(c, new Map(w).set(name, v), db, null, ref, 0.5).loss, x, dp.grads.get(name)!, `dpo ${name}`, { which, rtol: 1e-5 });
		}
	});

	it('reward model (full training + head): GPU gradients match the reference, and steps lower the loss', async () => {
		const files = await folder('reward', LLAMA);
		const trainer = await LlamaTrainer.create(ctx, files, { mode: 'full', rewardHead: true, rewardL2: 0.01, lr: 3e-3 });
		try {
			const pb = pairs(LLAMA.vocab, 2);
			const res = await trainer.rewardStep(pb, { update: false });
			const w = await refInputs(files, trainer);
			const packed = packBatch(preferenceAsBatch(pb, false), LLAMA.vocab, 64, { requireTargets: false });
			const ref = rewardModelRef(files.config, w, packed, null, 0.01);
			expect(res.loss).toBeCloseTo(ref.loss, 4);
			expectClose(res.scores, ref.rewards, { atol: 1e-4, rtol: 1e-4 }, 'rewards');
			expectGradsClose(await trainer.readGradients(), trainer, ref.grads);
			// The forward-only evaluation (held-out pairs) scores as the step does.
			const ev = await trainer.evaluateReward(pb);
			expect(ev.loss).toBeCloseTo(ref.loss, 4);
			expect(ev.accuracy).toBe(res.accuracy);
			expectClose(ev.scores, ref.rewards, { atol: 1e-4, rtol: 1e-4 }, 'evaluated rewards');
			let last = res;
			for (let i = 0; i < 10; i++) last = await trainer.rewardStep(pb);
			const after = await trainer.rewardStep(pb, { update: false });
			expect(after.loss).toBeLessThan(0.7 * res.loss);
			expect(after.accuracy).toBe(1);
			expect(last.gradNorm).toBeGreaterThan(0);
		} finally {
			trainer.dispose();
		}
	});

	it('DPO (LoRA): reference log-probs, GPU gradients match the reference, and steps lower the loss', async () => {
		const files = await folder('dpo', LLAMA);
		const trainer = await LlamaTrainer.create(ctx, files, { rank: 2, alpha: 4, dpoBeta: 0.5, lr: 2e-2 });
		try {
			const pb = pairs(LLAMA.vocab, 4);
			const batch = preferenceAsBatch(pb, true);
			const logps = await trainer.sequenceLogProbs(batch);
			const refLp = { chosen: logps.subarray(0, 2), rejected: logps.subarray(2) };
			// With B = 0 the policy is the reference: z = 0, loss = log 2.
			const first = await trainer.dpoStep(pb, refLp, { update: false });
			expect(first.loss).toBeCloseTo(Math.LN2, 5);
			trainer.writeParameters(normal(rng(8), trainer.parameterCount, 0.3));
			const res = await trainer.dpoStep(pb, refLp, { update: false });
			const w = await refInputs(files, trainer);
			const packed = packBatch(batch, LLAMA.vocab, 64, { weights: 'sum' });
			const ref = dpoModelRef(files.config, w, packed, { targets: LORA_TARGETS, rank: 2, scale: 2 }, refLp, 0.5);
			expect(res.loss).toBeCloseTo(ref.loss, 4);
			expectClose(res.scores, ref.logps, { atol: 1e-3, rtol: 1e-4 }, 'log-probs');
			expectGradsClose(await trainer.readGradients(), trainer, ref.grads);
			// The forward-only evaluation (held-out pairs) scores as the step does.
			const ev = await trainer.evaluateDpo(pb, refLp);
			expect(ev.loss).toBeCloseTo(ref.loss, 4);
			expect(ev.accuracy).toBe(res.accuracy);
			expectClose(ev.scores, ref.logps, { atol: 1e-3, rtol: 1e-4 }, 'evaluated log-probs');
			for (let i = 0; i < 8; i++) await trainer.dpoStep(pb, refLp);
			const after = await trainer.dpoStep(pb, refLp, { update: false });
			expect(after.loss).toBeLessThan(0.7 * res.loss);
		} finally {
			trainer.dispose();
		}
	});
});
