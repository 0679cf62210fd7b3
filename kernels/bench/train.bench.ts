/**
 * Training benchmark: `npx tsx kernels/bench/train.bench.ts [--quick] [--tiny-only | --smol-only]`
 * (`npm run bench:train`).
 *
 * On the adapter at hand, for the bundled tiny model and a model with SmolLM2-135M's shapes and
 * random weights (a short sequence so it fits), prints one JSON line per (model, mode) with:
 * - tokens/s of a training step (forward + backward + clip + AdamW): LoRA rank 8 on all seven
 *   projections, and full-parameter training for the tiny model;
 * - a training step against an inference forward pass over the same sequences (LlamaModel
 *   prefill, one call per sequence, summed): the ratio (aim ≤ 3.5× for LoRA), and against
 *   the trainer's own forward (`evaluate`);
 * - bytes per round of distributed training: the fp32 delta of the trainable parameters against
 *   the same delta in the 8-bit block codec (server/training/codec.ts `encodeDelta`, measured
 *   on a real delta: the parameters after the timed steps minus before), and the traffic of one
 *   round of H local steps (one compressed delta) against sending every step's fp32 gradient
 *   (H × fp32 size); aim ≥ 100× at H = 32.
 * Last, a summary line with the ratios of this run. No pass/fail on time: on CPU adapters
 * (lavapipe) the numbers track progress only.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeDelta } from '../../server/training/codec.js';
import type { GpuContext } from '../gpu/context.js';
import { createNodeContext } from '../gpu/node.js';
import { LlamaModel } from '../models/llama.js';
import { openModel, type ModelFiles } from '../models/model-files.js';
import { seededRandom } from '../models/random.js';
import { folderSource } from '../models/source-node.js';
import { randomModel, writeHfFolder, type FixtureSpec } from '../models/testing/fixtures.js';
import { LlamaTrainer, LORA_TARGETS, type TrainBatch } from '../train/index.js';

const quick = process.argv.includes('--quick');
const tinyOnly = process.argv.includes('--tiny-only');
const smolOnly = process.argv.includes('--smol-only');
const out = (o: object) => console.log(JSON.stringify(o));
/** Local steps per round of distributed training. */
const H = 32;

/** `seqs` sequences of `len` seeded random ids, the second half of each masked in (a reply). */
function randomBatch(vocab: number, seqs: number, len: number, seed: number): TrainBatch {
	const rand = seededRandom(seed);
	const tokens = Array.from({ length: seqs }, () => Int32Array.from({ length: len }, () => Math.floor(rand() * vocab)));
	return { tokens, lossMask: tokens.map((t) => Uint8Array.from(t, (_, i) => (i >= len / 2 ? 1 : 0))) };
}

/** Median seconds of `fn` over `reps` runs after one warm-up. */
async function median(fn: () => Promise<unknown>, reps: number): Promise<number> {
	await fn();
	const t: number[] = [];
	for (let i = 0; i < reps; i++) {
		const t0 = performance.now();
		await fn();
		t.push((performance.now() - t0) / 1000);
	}
	return t.sort((a, b) => a - b)[Math.floor(t.length / 2)];
}

/** Seconds of an inference forward over every sequence of `batch` (prefill, one token out). */
async function inferenceForward(ctx: GpuContext, files: ModelFiles, batch: TrainBatch, reps: number): Promise<number> {
	const len = Math.max(...batch.tokens.map((t) => t.length));
	const model = await LlamaModel.load(ctx, files, { maxSeq: len + 1 });
	try {
		return await median(async () => {
			for (const t of batch.tokens) await model.generate(Array.from(t), { maxTokens: 1, sampling: { temperature: 0 }, stopIds: [] });
		}, reps);
	} finally {
		model.destroy();
	}
}

async function bench(ctx: GpuContext, name: string, files: ModelFiles, mode: 'lora' | 'full', batch: TrainBatch, reps: number) {
	const T = batch.tokens.reduce((n, t) => n + t.length, 0);
	const opts = mode === 'lora' ? { mode, rank: 8, alpha: 16, targets: [...LORA_TARGETS], lr: 1e-3 } : { mode, lr: 1e-3 };
	const trainer = await LlamaTrainer.create(ctx, files, { ...opts, maxSeq: Math.max(...batch.tokens.map((t) => t.length)) });
	try {
		const before = await trainer.readParameters();
		const stepS = await median(() => trainer.step(batch), reps);
		const evalS = await median(() => trainer.evaluate(batch), reps);
		const after = await trainer.readParameters();
		const delta = after.map((x, i) => x - before[i]);
		const P = trainer.parameterCount;
		const fp32 = 4 * P;
		const encoded = encodeDelta(delta, { jobId: 'bench', round: 1, baseVersion: 0 }).byteLength;
		const inferS = await inferenceForward(ctx, files, batch, reps);
		const r = {
			model: name,
			mode,
			sequences: batch.tokens.length,
			tokens: T,
			trainableParams: P,
			stepS: +stepS.toFixed(4),
			trainTokS: +(T / stepS).toFixed(1),
			inferenceForwardS: +inferS.toFixed(4),
			stepOverInference: +(stepS / inferS).toFixed(2),
			trainerForwardS: +evalS.toFixed(4),
			stepOverTrainerForward: +(stepS / evalS).toFixed(2),
			deltaFp32Bytes: fp32,
			deltaQ8Bytes: encoded,
			compression: +(fp32 / encoded).toFixed(2),
			H,
			gradientsPerRoundBytes: H * fp32,
			roundTrafficReduction: +((H * fp32) / encoded).toFixed(1)
		};
		out(r);
		return r;
	} finally {
		trainer.dispose();
		await ctx.device.queue.onSubmittedWorkDone();
		ctx.throwIfErrors();
	}
}

const ctx = await createNodeContext();
const dir = await mkdtemp(join(tmpdir(), 'oasis-bench-train-'));
try {
	out({ adapter: ctx.info, features: ctx.featureList(), H, codec: 'server/training/codec.ts encodeDelta (8-bit blocks of 128, f32 scales)' });
	const reps = quick ? 1 : 3;
	const tiny = await openModel(folderSource('public/models/oasis-tiny'));
	const tinyBatch = randomBatch(tiny.config.vocabSize, 4, quick ? 64 : 128, 1);
	const results = smolOnly ? [] : [await bench(ctx, 'oasis-tiny', tiny, 'lora', tinyBatch, reps), await bench(ctx, 'oasis-tiny', tiny, 'full', tinyBatch, reps)];
	if (!tinyOnly) {
		// SmolLM2-135M's shapes: 30 layers, hidden 576, MLP 1536, 9/3 heads, vocab 49152, tied.
		const smol: FixtureSpec = { arch: 'llama', vocab: 49152, hidden: 576, intermediate: 1536, layers: 30, heads: 9, kvHeads: 3, tie: true, seed: 135 };
		await writeHfFolder(join(dir, 'smol'), randomModel(smol));
		const files = await openModel(folderSource(join(dir, 'smol')));
		results.push(await bench(ctx, 'smollm2-135m-shaped', files, 'lora', randomBatch(smol.vocab, 2, quick ? 32 : 64, 2), reps));
	}
	out({
		summary: 'training step / inference forward; traffic of one round of H local steps vs every step’s fp32 gradient',
		adapter: ctx.info.description || ctx.info.device,
		H,
		ratios: Object.fromEntries(results.map((r) => [`${r.model} ${r.mode}`, { trainTokS: r.trainTokS, stepOverInference: r.stepOverInference, compression: r.compression, roundTrafficReduction: r.roundTrafficReduction }]))
	});
} finally {
	ctx.destroy();
	await rm(dir, { recursive: true, force: true });
}
