/**
 * The decoder against the float64 reference (llama.ref.ts), through the CLI's code path
 * (`generate --quant none --temperature 0 --json --logits`), for Llama-, Qwen2- and Qwen3-shaped
 * random f32 models in HF format and a GGUF file with F16 weights.
 *
 * Tolerances: token for token over 64 greedy steps, except at steps where the reference's top
 * two logits are within 1e-3; logits max|gpu − ref| <= 1e-3 · max|ref| (f32 weights) and
 * 1e-2 · max|ref| (f16 weights; the reference uses the same f16-rounded weights).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../gpu/context.js';
import { testContext } from '../testing/context.js';
import { parseGenerateArgs, runGenerate } from '../../server/cli/commands/generate.js';
import { LlamaModel } from './llama.js';
import { LlamaRef, top2 } from './llama.ref.js';
import { openModel } from './model-files.js';
import { openModelPath } from './source-node.js';
import { fixtureGguf, randomModel, writeHfFolder, type FixtureSpec } from './testing/fixtures.js';
import { refWeights } from './testing/ref-weights.js';

const STEPS = 64;
const PROMPT = [5, 17, 42, 100, 7, 250, 3, 99];

let ctx: GpuContext;
let dir: string;
beforeAll(async () => {
	ctx = await testContext();
	dir = await mkdtemp(join(tmpdir(), 'oasis-llama-'));
});
afterAll(async () => {
	ctx?.destroy();
	await rm(dir, { recursive: true, force: true });
});

const SPECS: Record<string, FixtureSpec> = {
	llama: {
		arch: 'llama', vocab: 301, hidden: 64, intermediate: 88, layers: 3, heads: 4, kvHeads: 2, tie: false, seed: 1,
		ropeTheta: 500000,
		ropeScaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 32 }
	},
	qwen2: { arch: 'qwen2', vocab: 277, hidden: 48, intermediate: 72, layers: 2, heads: 6, kvHeads: 2, tie: true, seed: 2, ropeTheta: 1000000 },
	// YaRN (factor 256 / 64 = 4): the 72 positions run past the original 64, so the ramp and the
	// attention factor on cos/sin both matter.
	qwen3: {
		arch: 'qwen3', vocab: 263, hidden: 64, intermediate: 96, layers: 3, heads: 4, kvHeads: 1, headDim: 24, tie: true, seed: 3,
		ropeScaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 64 }
	}
};

interface Check {
	compared: number;
	skipped: number;
	worstRel: number;
}

/** Runs the CLI path and the per-step path; compares both with the reference. */
async function checkAgainstRef(modelPath: string, tol: number): Promise<Check> {
	const args = ['--model', modelPath, '--ids', PROMPT.join(','), '--max-tokens', String(STEPS), '--quant', 'none', '--temperature', '0', '--json', '--logits'];
	const json = await runGenerate(parseGenerateArgs(args), ctx);
	const { source, gguf } = await openModelPath(modelPath);
	const files = await openModel(source, gguf);
	const ref = new LlamaRef(files.config, await refWeights(files, 'none', ctx.features.f16));

	const stepLogits: Float32Array[] = [];
	const model = await LlamaModel.load(ctx, files, { quant: 'none', maxSeq: PROMPT.length + STEPS });
	const r = await model.generate(PROMPT, { maxTokens: STEPS, sampling: { temperature: 0 }, stopIds: [], onLogits: (l) => stepLogits.push(l) });
	model.destroy();
	expect(r.ids).toEqual(json.ids);
	expect(json.ids).toHaveLength(STEPS);
	expect(json.logits).toHaveLength(files.config.vocabSize);
	expect(json.dispatches).toBeGreaterThan(0);

	const out: Check = { compared: 0, skipped: 0, worstRel: 0 };
	let want = ref.forward(PROMPT);
	for (let i = 0; i < STEPS; i++) {
		const got = i === 0 ? Float32Array.from(json.logits!) : stepLogits[i];
		let maxRef = 0;
		let maxErr = 0;
		for (let j = 0; j < want.length; j++) {
			maxRef = Math.max(maxRef, Math.abs(want[j]));
			maxErr = Math.max(maxErr, Math.abs(got[j] - want[j]));
		}
		out.worstRel = Math.max(out.worstRel, maxErr / maxRef);
		expect(maxErr / maxRef, `step ${i} logits`).toBeLessThanOrEqual(tol);
		const { best, gap } = top2(want);
		if (gap < 1e-3) out.skipped++;
		else {
			out.compared++;
			expect(json.ids[i], `step ${i} token`).toBe(best);
		}
		// Teacher-force the reference with the GPU's token so both follow one path.
		if (i + 1 < STEPS) want = ref.forwardOne(json.ids[i]);
	}
	return out;
}

describe('Llama-family decoder vs float64 reference (64 greedy steps)', () => {
	for (const name of Object.keys(SPECS)) {
		it(`${name}-shaped, f32 safetensors`, async () => {
			const path = join(dir, name);
			await writeHfFolder(path, randomModel(SPECS[name]));
			const r = await checkAgainstRef(path, 1e-3);
			console.log(`${name}: ${r.compared} tokens compared, ${r.skipped} near-ties skipped, worst logit error ${r.worstRel.toExponential(2)} of max|logit|`);
			expect(r.compared).toBeGreaterThanOrEqual(STEPS - 4);
		});
	}

	it('GGUF llama with F16 weights (adjacent-pairs RoPE on permuted Q/K, Llama 3 scaling as rope_freqs)', async () => {
		const f = randomModel(SPECS.llama);
		const path = join(dir, 'tiny-f16.gguf');
		await writeFile(path, fixtureGguf(f));
		const r = await checkAgainstRef(path, 1e-2);
		console.log(`gguf f16: ${r.compared} compared, ${r.skipped} skipped, worst ${r.worstRel.toExponential(2)}`);
		expect(r.compared).toBeGreaterThanOrEqual(STEPS - 4);

		// The permuted GGUF with 'pairs' equals the HF layout with 'half' on the same weights.
		const hfPath = join(dir, 'llama-f16');
		await writeHfFolder(hfPath, f, { dtype: 'F16' });
		const hf = await openModel((await openModelPath(hfPath)).source);
		const gg = await openModel((await openModelPath(path)).source, 'tiny-f16.gguf');
		expect(gg.config.ropeLayout).toBe('pairs');
		expect(gg.config.ropeScaling?.type).toBe('factors');
		const a = new LlamaRef(hf.config, await refWeights(hf)).forward(PROMPT);
		const b = new LlamaRef(gg.config, await refWeights(gg)).forward(PROMPT);
		// Equal but for the f32 rounding of rope_freqs' divisors (float64 from config.json).
		const maxA = a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
		for (let j = 0; j < a.length; j++) expect(Math.abs(a[j] - b[j])).toBeLessThan(1e-6 * maxA);
		// Without the divisors (plain RoPE) the logits move: the scaling is really applied.
		const plain = new LlamaRef({ ...gg.config, ropeScaling: null }, await refWeights(gg)).forward(PROMPT);
		expect(Math.max(...plain.map((v, j) => Math.abs(v - b[j])))).toBeGreaterThan(1e-3 * maxA);
	});
});
