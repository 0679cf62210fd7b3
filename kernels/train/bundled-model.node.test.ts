/**
 * The bundled model's claim, recomputed: public/models/oasis-tiny was trained by our own trainer
 * (make-trained-tiny.ts --install), and its README and metrics.json state its held-out loss
 * against a unigram baseline. This checks the stated figures against the shipped data (unigram),
 * re-evaluates the shipped weights on the held-out sample the script also measured (the short
 * held-out threads: the whole held-out set takes minutes on a CPU adapter), and checks the model
 * is far better than the unigram baseline there — a random model sits near ln 1024 ≈ 6.93.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { GpuContext } from '../gpu/context.js';
import { testContext } from '../testing/context.js';
import { openModel } from '../models/model-files.js';
import { folderSource } from '../models/source-node.js';
import { packExamples, unigramCrossEntropy } from './corpus/oasst.js';
import { HELD_SAMPLE, heldOutSampleLoss, oasstExamples, TINY_DIR } from './make-trained-tiny.js';

const metricsSchema = z.object({
	maxLen: z.number().int(),
	batchTokens: z.number().int(),
	heldOut: z.object({
		threads: z.number().int(),
		final: z.number(),
		unigram: z.number(),
		sample: z.object({ threads: z.number().int(), tokens: z.number().int(), loss: z.number() })
	})
});

let ctx: GpuContext;
beforeAll(async () => {
	ctx = await testContext();
});
afterAll(() => ctx?.destroy());

describe('the bundled tiny model', () => {
	it('has the held-out loss its README states, far below the unigram baseline', async () => {
		const metrics = metricsSchema.parse(JSON.parse(await readFile(join(TINY_DIR, 'metrics.json'), 'utf8')));
		const readme = await readFile(join(TINY_DIR, 'README.md'), 'utf8');
		expect(readme).toContain(`| **this model** | **${metrics.heldOut.final}** |`);
		expect(readme).toContain(`| unigram, add-one smoothing, estimated on the training replies | ${metrics.heldOut.unigram} |`);
		expect(metrics.heldOut.final).toBeLessThan(metrics.heldOut.unigram - 1);

		const files = await openModel(folderSource(TINY_DIR));
		const data = await oasstExamples(files.tokenizer!, metrics.maxLen);
		expect(data.heldOut).toHaveLength(metrics.heldOut.threads);
		const train = packExamples(data.train, data.train.map((_, i) => i), metrics.batchTokens);
		const all = packExamples(data.heldOut, data.heldOut.map((_, i) => i), 2048);
		expect(unigramCrossEntropy(train, all, files.config.vocabSize)).toBeCloseTo(metrics.heldOut.unigram, 3);

		const got = await heldOutSampleLoss(ctx, files, data.heldOut);
		expect(got.threads).toBe(metrics.heldOut.sample.threads);
		expect(got.tokens).toBe(metrics.heldOut.sample.tokens);
		expect(Math.abs(got.loss - metrics.heldOut.sample.loss)).toBeLessThan(0.01);
		const sample = data.heldOut.filter((e) => e.tokens.length <= HELD_SAMPLE.maxTokens).slice(0, HELD_SAMPLE.threads);
		const sampleUnigram = unigramCrossEntropy(train, packExamples(sample, sample.map((_, i) => i), 1024), files.config.vocabSize);
		expect(got.loss).toBeLessThan(sampleUnigram - 1);
	}, 120_000);
});
