/**
 * LoRA fine-tuning of the bundled tiny model (public/models/oasis-tiny) on one chat, in Node
 * (lavapipe) and in Chromium (SwiftShader): the loss is computed on the assistant's tokens
 * only, AdamW steps lower it by >= 30%, and the adapters round-trip through the flat
 * parameter API (writing back the initial values restores the initial loss within 1e-4).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../gpu/context.js';
import { testContext } from '../testing/context.js';
import { openModel, type ModelFiles } from '../models/model-files.js';
import { fetchSource, type ModelSource } from '../models/source.js';
import { LlamaTrainer } from './llama-train.js';

async function tinySource(): Promise<ModelSource> {
	if ((globalThis as { window?: unknown }).window) return fetchSource('/models/oasis-tiny/');
	const nodeModule = '../models/source-node.js';
	const { folderSource } = (await import(/* @vite-ignore */ nodeModule)) as typeof import('../models/source-node.js');
	return folderSource('public/models/oasis-tiny');
}

let ctx: GpuContext;
let files: ModelFiles;
beforeAll(async () => {
	ctx = await testContext();
	files = await openModel(await tinySource());
});
afterAll(() => ctx?.destroy());

describe('LoRA on the bundled tiny model', () => {
	it('trains on the assistant tokens of a chat', async () => {
		const tok = files.tokenizer!;
		const prompt = tok.encodeChat([{ role: 'user', content: 'Name a colour.' }]);
		const reply = tok.encode('Blue is a colour.', false);
		const ids = Int32Array.from([...prompt, ...reply]);
		const mask = Uint8Array.from(ids, (_, i) => (i >= prompt.length ? 1 : 0));
		const batch = { tokens: [ids], lossMask: [mask] };
		const trainer = await LlamaTrainer.create(ctx, files, { rank: 4, alpha: 8, lr: 2e-2, targets: ['q', 'v', 'o', 'down'], maxSeq: 64 });
		try {
			const initial = await trainer.readParameters();
			const before = await trainer.evaluate(batch);
			for (let i = 0; i < 4; i++) await trainer.step(batch);
			const after = await trainer.evaluate(batch);
			expect(after).toBeLessThan(0.7 * before);
			trainer.writeParameters(initial);
			expect(await trainer.evaluate(batch)).toBeCloseTo(before, 4);
		} finally {
			trainer.dispose();
		}
	});
});
