/**
 * The bundled tiny model through the platform-neutral path: in the browser project it is
 * fetched from /models/oasis-tiny/ with Range requests (fetchSource) and runs on SwiftShader
 * (f32); in Node it is read from public/models/oasis-tiny. Greedy tokens match the float64
 * reference and logits agree within 1e-3 of max|logit|.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../gpu/context.js';
import { testContext } from '../testing/context.js';
import { LlamaModel } from './llama.js';
import { LlamaRef, top2 } from './llama.ref.js';
import { openModel, type ModelFiles } from './model-files.js';
import { fetchSource, type ModelSource } from './source.js';
import { refWeights } from './testing/ref-weights.js';

async function tinySource(): Promise<ModelSource> {
	if ((globalThis as { window?: unknown }).window) return fetchSource('/models/oasis-tiny/');
	const nodeModule = './source-node.js';
	const { folderSource } = (await import(/* @vite-ignore */ nodeModule)) as typeof import('./source-node.js');
	return folderSource('public/models/oasis-tiny');
}

let ctx: GpuContext;
let files: ModelFiles;
beforeAll(async () => {
	ctx = await testContext();
	files = await openModel(await tinySource());
});
afterAll(() => ctx?.destroy());

describe('bundled tiny model', () => {
	it('tokenizes a chat and generates like the reference', async () => {
		const prompt = files.tokenizer!.encodeChat([{ role: 'user', content: 'Hello!' }]);
		expect(files.config.eosTokenIds).toContain(2);
		const model = await LlamaModel.load(ctx, files, { maxSeq: 64 });
		const logits: Float32Array[] = [];
		const r = await model.generate(prompt, { maxTokens: 8, sampling: { temperature: 0 }, stopIds: [], onLogits: (l) => logits.push(l) });
		model.destroy();
		const ref = new LlamaRef(files.config, await refWeights(files, 'none', ctx.features.f16));
		let want = ref.forward(prompt);
		for (let i = 0; i < r.ids.length; i++) {
			let maxRef = 0;
			let maxErr = 0;
			want.forEach((w, j) => {
				maxRef = Math.max(maxRef, Math.abs(w));
				maxErr = Math.max(maxErr, Math.abs(logits[i][j] - w));
			});
			expect(maxErr / maxRef).toBeLessThan(1e-3);
			const { best, gap } = top2(want);
			if (gap >= 1e-3) expect(r.ids[i]).toBe(best);
			want = ref.forwardOne(r.ids[i]);
		}
	});
});
