/**
 * Generation benchmark: `npx tsx kernels/bench/generate.bench.ts [--quick] [--tiny-only]`.
 *
 * For the bundled tiny model and a model with SmolLM2-135M's shapes and random weights, at f32,
 * q8 and q4 (f16 too where the adapter has `shader-f16`), prints one JSON line each with:
 * - prefill and decode tokens/s;
 * - decode against its bandwidth roofline: bytes one decode step must read (weights + KV at the
 *   mean context length) ÷ the adapter's copy bandwidth measured in this run (read + write
 *   bytes of one large copyBufferToBuffer, as kernels.bench.ts);
 * - dispatches: per generated token (prefill included), and of one decode step's forward pass;
 * - host cost: µs to record one dispatch of a decode step (no submit), and wall µs per dispatch;
 * - device memory: peak bytes of live device buffers while the model loads and generates,
 *   against the bytes of the weights plus the KV cache.
 * Last, a summary line. On CPU adapters (lavapipe) the ratios track progress; the aims
 * (decode ≥ 50% of roofline, memory ≤ 1.3×) are for real GPUs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Batch } from '../gpu/batch.js';
import { createStorage } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { createNodeContext } from '../gpu/node.js';
import { LlamaModel } from '../models/llama.js';
import { openModel } from '../models/model-files.js';
import { memoryQuantCache } from '../models/quant-cache.js';
import { folderSource } from '../models/source-node.js';
import { randomModel, writeHfFolder, type FixtureSpec } from '../models/testing/fixtures.js';
import type { QuantMode } from '../models/weights.js';
import { timeGpu } from './timing.js';

const quick = process.argv.includes('--quick');
const tinyOnly = process.argv.includes('--tiny-only');
const out = (o: object) => console.log(JSON.stringify(o));
const MiB = 2 ** 20;

async function copyBandwidth(ctx: GpuContext): Promise<number> {
	const bytes = (quick || ctx.info.isCpu ? 32 : 256) * MiB;
	const src = createStorage(ctx, bytes);
	const dst = createStorage(ctx, bytes);
	const s = await timeGpu(ctx, (b) => b.copy(src, 0, dst, 0, bytes), 5);
	src.destroy();
	dst.destroy();
	return (2 * bytes) / s;
}

/** Dispatches of one decode step's forward pass (without the sampler), by recording one. */
function decodeStepDispatches(ctx: GpuContext, model: LlamaModel, pos: number): number {
	const d0 = ctx.stats.dispatches;
	const b = new Batch(ctx);
	model.recordDecodeStep(b, pos);
	b.discard();
	return ctx.stats.dispatches - d0;
}

/** Median µs to record one dispatch of a decode step, without submitting. */
function recordUs(ctx: GpuContext, model: LlamaModel, pos: number): number {
	const per: number[] = [];
	for (let rep = 0; rep < 5; rep++) {
		const d0 = ctx.stats.dispatches;
		const t0 = performance.now();
		for (let i = 0; i < 20; i++) {
			const b = new Batch(ctx);
			model.recordDecodeStep(b, pos);
			b.discard();
		}
		per.push(((performance.now() - t0) * 1000) / (ctx.stats.dispatches - d0));
	}
	return per.sort((a, b) => a - b)[2];
}

async function run(ctx: GpuContext, bw: number, name: string, path: string, quant: QuantMode, promptLen: number, tokens: number) {
	const files = await openModel(folderSource(path));
	const live0 = ctx.memory.liveBytes;
	ctx.resetPeakMemory();
	const t0 = performance.now();
	const model = await LlamaModel.load(ctx, files, { quant, cache: memoryQuantCache(), maxSeq: promptLen + tokens });
	const loadS = (performance.now() - t0) / 1000;
	try {
		const prompt = Array.from({ length: promptLen }, (_, i) => (i * 7919) % files.config.vocabSize);
		await model.generate(prompt, { maxTokens: 4, sampling: { temperature: 0 }, stopIds: [] }); // compile pipelines
		const r = await model.generate(prompt, { maxTokens: tokens, sampling: { temperature: 0 }, stopIds: [] });
		const peak = ctx.memory.peakBytes - live0;
		const steps = r.ids.length - 1;
		const decodeTokS = steps / (r.decodeMs / 1000);
		const readBytes = model.decodeReadBytes(promptLen + tokens / 2);
		const rooflineTokS = bw / readBytes;
		const dispatchesPerToken = r.dispatches / r.ids.length;
		const weightsKv = model.stats.weightBytes + model.kvCacheBytes;
		out({
			model: name,
			quant,
			formats: model.stats.formats,
			weightMiB: +(model.stats.weightBytes / MiB).toFixed(2),
			kvMiB: +(model.kvCacheBytes / MiB).toFixed(2),
			loadS: +loadS.toFixed(2),
			promptTokens: promptLen,
			decodeTokens: steps,
			prefillTokS: +(promptLen / (r.prefillMs / 1000)).toFixed(1),
			decodeTokS: +decodeTokS.toFixed(1),
			decodeReadMiBPerTok: +(readBytes / MiB).toFixed(2),
			rooflineTokS: +rooflineTokS.toFixed(1),
			decodeOfRoofline: +(decodeTokS / rooflineTokS).toFixed(4),
			dispatchesPerToken: +dispatchesPerToken.toFixed(1),
			decodeStepDispatches: decodeStepDispatches(ctx, model, promptLen),
			wallUsPerDispatch: +((r.decodeMs * 1000) / steps / dispatchesPerToken).toFixed(1),
			recordUsPerDispatch: +recordUs(ctx, model, promptLen).toFixed(1),
			deviceMiB: +(peak / MiB).toFixed(2),
			weightsPlusKvMiB: +(weightsKv / MiB).toFixed(2),
			memoryRatio: +(peak / weightsKv).toFixed(3)
		});
		return decodeTokS / rooflineTokS;
	} finally {
		model.destroy();
		await ctx.device.queue.onSubmittedWorkDone();
		ctx.throwIfErrors();
	}
}

const ctx = await createNodeContext();
const dir = await mkdtemp(join(tmpdir(), 'oasis-bench-generate-'));
try {
	const bw = await copyBandwidth(ctx);
	out({ adapter: ctx.info, features: ctx.featureList(), copyGBs: +(bw / 1e9).toFixed(2) });
	const quants: QuantMode[] = ctx.features.f16 ? ['none', 'f16', 'q8', 'q4'] : ['none', 'q8', 'q4'];
	const fractions: Record<string, number> = {};
	for (const q of quants) {
		fractions[`oasis-tiny ${q}`] = await run(ctx, bw, 'oasis-tiny', 'public/models/oasis-tiny', q, 32, quick ? 32 : 128);
	}
	if (!tinyOnly) {
		// SmolLM2-135M's shapes: 30 layers, hidden 576, MLP 1536, 9/3 heads, vocab 49152, tied.
		const smol: FixtureSpec = { arch: 'llama', vocab: 49152, hidden: 576, intermediate: 1536, layers: 30, heads: 9, kvHeads: 3, tie: true, seed: 135 };
		await writeHfFolder(join(dir, 'smol'), randomModel(smol));
		for (const q of quants) {
			fractions[`smollm2-135m-shaped ${q}`] = await run(ctx, bw, 'smollm2-135m-shaped', join(dir, 'smol'), q, 64, quick ? 16 : 64);
		}
	}
	out({ summary: 'decode / bandwidth roofline', adapter: ctx.info.description || ctx.info.device, fractions });
} finally {
	ctx.destroy();
	await rm(dir, { recursive: true, force: true });
}
