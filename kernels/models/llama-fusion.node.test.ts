/**
 * The fused decode graph of LlamaModel (see llama.ts): the dispatch count of a decode step
 * with and without the RMSNorms fused into the matvecs,
 * the fallback for q/k/v and gate/up matrices of different formats (kept apart: side-by-side
 * outputs and a separate SiLU·mul), and fused weights split into parts by a small
 * maxStorageBufferBindingSize — each against the float64 reference (LlamaRef) over 8 greedy
 * steps, logits within 1e-3·max|ref| (f32) or 1e-2·max|ref| (with f16 weights; the reference
 * uses the same f16-rounded weights), as in llama.node.test.ts.
 */
import { mkdtemp, rm, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Batch } from '../gpu/batch.js';
import type { GpuContext } from '../gpu/context.js';
import { toF16Array } from '../gpu/f16.js';
import { testContext } from '../testing/context.js';
import { LlamaModel } from './llama.js';
import { LlamaRef } from './llama.ref.js';
import { openModel } from './model-files.js';
import { writeSafetensors } from './safetensors.js';
import { folderSource } from './source-node.js';
import { randomModel, writeHfFolder, type Fixture, type FixtureSpec } from './testing/fixtures.js';
import { refWeights } from './testing/ref-weights.js';

const PROMPT = [5, 17, 42, 100];
const STEPS = 8;
// Qwen2: q/k/v biases (concatenated with the weights).
const SPEC: FixtureSpec = { arch: 'qwen2', vocab: 277, hidden: 48, intermediate: 72, layers: 2, heads: 6, kvHeads: 2, tie: true, seed: 21 };

const ctx = await testContext();
let dir: string;
beforeAll(async () => {
	dir = await mkdtemp(join(tmpdir(), 'oasis-fusion-'));
});
afterAll(async () => {
	ctx.destroy();
	await rm(dir, { recursive: true, force: true });
});

/** An HF folder whose q_proj and gate_proj matrices are F16 and every other tensor F32. */
async function writeMixed(path: string, f: Fixture): Promise<void> {
	await mkdir(path, { recursive: true });
	await writeFile(join(path, 'config.json'), JSON.stringify(f.config));
	const tensors = [...f.weights].map(([name, t]) => {
		const f16 = /(q_proj|gate_proj)\.weight$/.test(name);
		const data = f16 ? new Uint8Array(toF16Array(t.data).buffer) : new Uint8Array(t.data.buffer.slice(0));
		return { name, dtype: (f16 ? 'F16' : 'F32') as 'F16' | 'F32', shape: t.shape, data };
	});
	await writeFile(join(path, 'model.safetensors'), writeSafetensors(tensors));
}

/** Dispatches of one decode step's forward pass. */
function decodeDispatches(c: GpuContext, model: LlamaModel): number {
	const d0 = c.stats.dispatches;
	const b = new Batch(c);
	model.recordDecodeStep(b, PROMPT.length);
	b.discard();
	return c.stats.dispatches - d0;
}

/** Generates STEPS greedy tokens and checks every step's logits and token against LlamaRef. */
async function checkRef(c: GpuContext, path: string, tol: number, fuseNorm?: boolean): Promise<LlamaModel> {
	const files = await openModel(folderSource(path));
	const ref = new LlamaRef(files.config, await refWeights(files, 'none', c.features.f16));
	const model = await LlamaModel.load(c, files, { maxSeq: PROMPT.length + STEPS, fuseNorm });
	const logits: Float32Array[] = [];
	const r = await model.generate(PROMPT, { maxTokens: STEPS, sampling: { temperature: 0 }, stopIds: [], onLogits: (l) => logits.push(l) });
	let want = ref.forward(PROMPT);
	for (let i = 0; i < STEPS; i++) {
		let maxRef = 0;
		let maxErr = 0;
		let best = 0;
		for (let j = 0; j < want.length; j++) {
			maxRef = Math.max(maxRef, Math.abs(want[j]));
			maxErr = Math.max(maxErr, Math.abs(logits[i][j] - want[j]));
			if (want[j] > want[best]) best = j;
		}
		expect(maxErr / maxRef, `step ${i} logits`).toBeLessThanOrEqual(tol);
		expect(r.ids[i], `step ${i} token`).toBe(best);
		if (i + 1 < STEPS) want = ref.forwardOne(r.ids[i]);
	}
	return model;
}

describe('LlamaModel fused decode graph', () => {
	it('a decode step is 5 dispatches per layer + the embedding and the lm_head (RMSNorms fused)', async () => {
		const path = join(dir, 'f32');
		await writeHfFolder(path, randomModel(SPEC));
		const model = await checkRef(ctx, path, 1e-3, true);
		try {
			expect(decodeDispatches(ctx, model)).toBe(5 * SPEC.layers + 2);
		} finally {
			model.destroy();
		}
	});

	it('with the RMSNorms as their own dispatches (the CPU-adapter default): 7 per layer + 3', async () => {
		const model = await checkRef(ctx, join(dir, 'f32'), 1e-3, false);
		try {
			expect(decodeDispatches(ctx, model)).toBe(7 * SPEC.layers + 3);
		} finally {
			model.destroy();
		}
	});

	it.skipIf(!ctx.features.f16)('q/k/v and gate/up of different formats stay separate and still match', async () => {
		const path = join(dir, 'mixed');
		await writeMixed(path, randomModel(SPEC));
		const model = await checkRef(ctx, path, 1e-2, true);
		try {
			// + 2 more q/k/v matvecs, + a separate up matvec and SiLU·mul, per layer.
			expect(decodeDispatches(ctx, model)).toBe(9 * SPEC.layers + 2);
			expect(model.stats.formats).toEqual({ f16: 2 * SPEC.layers, f32: 1 + 5 * SPEC.layers });
		} finally {
			model.destroy();
		}
	});

	it('fused weights split along rows under a small binding limit (pairs kept whole)', async () => {
		const small = await testContext({ limitOverrides: { maxStorageBufferBindingSize: 2048 } });
		try {
			const path = join(dir, 'f32');
			const model = await checkRef(small, path, 1e-3, true);
			// qkv: 80 rows of 192 bytes -> parts of 10 rows; gate/up: 144 rows -> parts of 10 (even).
			expect(decodeDispatches(small, model)).toBeGreaterThan(5 * SPEC.layers + 2);
			model.destroy();
		} finally {
			small.destroy();
		}
	});
});
