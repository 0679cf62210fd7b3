/**
 * A standalone check of the model runtime on whatever adapter Node finds (a real GPU on a
 * device machine, lavapipe here): reference matches for Llama/Qwen2/Qwen3 f32 and GGUF F16,
 * then prefill/decode tokens/s for the bundled tiny model and a model with SmolLM2-135M's
 * shapes and random weights, at each precision. Prints one JSON line per result.
 *
 *   npx tsx kernels/models/testing/device-check.ts [--quick]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeContext } from '../../gpu/node.js';
import { LlamaModel } from '../llama.js';
import { LlamaRef, top2 } from '../llama.ref.js';
import { openModel } from '../model-files.js';
import { memoryQuantCache } from '../quant-cache.js';
import { folderSource } from '../source-node.js';
import type { QuantMode } from '../weights.js';
import { fixtureGguf, randomModel, writeHfFolder, type FixtureSpec } from './fixtures.js';
import { refWeights } from './ref-weights.js';

const quick = process.argv.includes('--quick');
const out = (o: object) => console.log(JSON.stringify(o));
const ctx = await createNodeContext();
out({ adapter: ctx.info, features: ctx.featureList() });
const dir = await mkdtemp(join(tmpdir(), 'oasis-device-check-'));

const SPECS: Record<string, FixtureSpec> = {
	llama: { arch: 'llama', vocab: 301, hidden: 64, intermediate: 88, layers: 3, heads: 4, kvHeads: 2, tie: false, seed: 1 },
	qwen2: { arch: 'qwen2', vocab: 277, hidden: 48, intermediate: 72, layers: 2, heads: 6, kvHeads: 2, tie: true, seed: 2 },
	qwen3: { arch: 'qwen3', vocab: 263, hidden: 64, intermediate: 96, layers: 3, heads: 4, kvHeads: 1, headDim: 24, tie: true, seed: 3 }
};

async function refCheck(name: string, path: string, gguf: string | null): Promise<void> {
	const files = await openModel(folderSource(path), gguf);
	const prompt = [5, 17, 42, 100, 7, 250, 3, 99];
	const model = await LlamaModel.load(ctx, files, { maxSeq: 72 });
	const logits: Float32Array[] = [];
	const r = await model.generate(prompt, { maxTokens: 64, sampling: { temperature: 0 }, stopIds: [], onLogits: (l) => logits.push(l) });
	model.destroy();
	const ref = new LlamaRef(files.config, await refWeights(files, 'none', ctx.features.f16));
	let want = ref.forward(prompt);
	let worst = 0;
	let mismatches = 0;
	let skipped = 0;
	for (let i = 0; i < 64; i++) {
		const maxRef = Math.max(...want.map(Math.abs));
		for (let j = 0; j < want.length; j++) worst = Math.max(worst, Math.abs(logits[i][j] - want[j]) / maxRef);
		const { best, gap } = top2(want);
		if (gap < 1e-3) skipped++;
		else if (best !== r.ids[i]) mismatches++;
		want = ref.forwardOne(r.ids[i]);
	}
	out({ check: name, steps: 64, mismatches, skipped, worstRelLogitError: worst, ok: mismatches === 0 && worst <= 1e-3 });
}

async function speed(name: string, path: string, quant: QuantMode, promptLen: number, tokens: number): Promise<void> {
	const files = await openModel(folderSource(path));
	const t0 = performance.now();
	const model = await LlamaModel.load(ctx, files, { quant, cache: memoryQuantCache(), maxSeq: promptLen + tokens });
	const loadMs = performance.now() - t0;
	const prompt = Array.from({ length: promptLen }, (_, i) => (i * 7919) % files.config.vocabSize);
	await model.generate(prompt, { maxTokens: 4, sampling: { temperature: 0 }, stopIds: [] }); // compile pipelines
	const r = await model.generate(prompt, { maxTokens: tokens, sampling: { temperature: 0 }, stopIds: [] });
	model.destroy();
	out({
		speed: name,
		quant,
		formats: model.stats.formats,
		weightMiB: +(model.stats.weightBytes / 2 ** 20).toFixed(1),
		loadS: +(loadMs / 1000).toFixed(2),
		promptTokens: promptLen,
		prefillTokS: +(promptLen / (r.prefillMs / 1000)).toFixed(1),
		decodeTokS: +((r.ids.length - 1) / (r.decodeMs / 1000)).toFixed(1),
		dispatchesPerToken: +(r.dispatches / r.ids.length).toFixed(1)
	});
}

try {
	for (const [name, spec] of Object.entries(SPECS)) {
		await writeHfFolder(join(dir, name), randomModel(spec));
		await refCheck(`${name} f32`, join(dir, name), null);
	}
	await writeFile(join(dir, 'f16.gguf'), fixtureGguf(randomModel(SPECS.llama)));
	await refCheck('gguf llama F16', dir, 'f16.gguf');
	const tiny = 'public/models/oasis-tiny';
	for (const q of ['none', 'f16', 'q8', 'q4'] as const) {
		if (q === 'f16' && !ctx.features.f16) continue;
		await speed('oasis-tiny', tiny, q, 32, quick ? 32 : 128);
	}
	if (!quick) {
		// SmolLM2-135M's shapes: 30 layers, hidden 576, MLP 1536, 9/3 heads, vocab 49152, tied.
		const smol: FixtureSpec = { arch: 'llama', vocab: 49152, hidden: 576, intermediate: 1536, layers: 30, heads: 9, kvHeads: 3, tie: true, seed: 135 };
		await writeHfFolder(join(dir, 'smol'), randomModel(smol));
		for (const q of ['none', 'f16', 'q8', 'q4'] as const) {
			if (q === 'f16' && !ctx.features.f16) continue;
			await speed('smollm2-135m-shaped', join(dir, 'smol'), q, 64, 64);
		}
	}
} finally {
	ctx.destroy();
	await rm(dir, { recursive: true, force: true });
}
