/**
 * Rope scaling read from GGUF files: YaRN keys and Llama 3's `rope_freqs.weight` divisors give the
 * same frequencies and cos/sin factor as the config.json they were converted from (llama.cpp's
 * converter's forms, written by fixtureGguf), and bad ones are refused naming the file and tensor.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHfConfig, ropeAttentionScale, ropeFrequencies } from './config.js';
import { writeGguf } from './gguf-write.js';
import { openModel } from './model-files.js';
import { folderSource } from './source-node.js';
import { fixtureGguf, randomModel, type FixtureSpec } from './testing/fixtures.js';

let dir: string;
beforeAll(async () => {
	dir = await mkdtemp(join(tmpdir(), 'oasis-rope-'));
});
afterAll(async () => {
	await rm(dir, { recursive: true, force: true });
});

const SPEC: FixtureSpec = { arch: 'qwen3', vocab: 40, hidden: 32, intermediate: 48, layers: 1, heads: 2, kvHeads: 1, headDim: 32, tie: true, seed: 5 };

async function ggufConfig(spec: FixtureSpec, name: string) {
	const f = randomModel(spec);
	await writeFile(join(dir, name), fixtureGguf(f));
	return { hf: parseHfConfig(f.config), gguf: (await openModel(folderSource(dir), name)).config };
}

describe('rope scaling from GGUF', () => {
	it('YaRN keys match config.json', async () => {
		const { hf, gguf } = await ggufConfig(
			{ ...SPEC, ropeTheta: 1e6, ropeScaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 64 } },
			'yarn.gguf'
		);
		expect(gguf.ropeScaling).toMatchObject({ type: 'yarn', factor: 4, originalMaxPositions: 64, betaFast: 32, betaSlow: 1 });
		expect(ropeAttentionScale(gguf)).toBeCloseTo(ropeAttentionScale(hf), 6);
		expect(ropeAttentionScale(gguf)).toBeGreaterThan(1.1);
		const [a, b] = [ropeFrequencies(hf), ropeFrequencies(gguf)];
		a.forEach((f, i) => expect(b[i]).toBeCloseTo(f, 12));
	});

	it("Llama 3's rope_freqs divisors match config.json within their f32 rounding", async () => {
		const { hf, gguf } = await ggufConfig(
			{
				...SPEC,
				arch: 'llama',
				ropeTheta: 500000,
				ropeScaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 }
			},
			'l3.gguf'
		);
		expect(gguf.ropeScaling?.type).toBe('factors');
		const [a, b] = [ropeFrequencies(hf), ropeFrequencies(gguf)];
		a.forEach((f, i) => expect(Math.abs(b[i] - f) / f).toBeLessThan(1e-7));
		// The low frequencies really are divided by the factor.
		expect(b[b.length - 1]).toBeCloseTo(ropeFrequencies({ ...hf, ropeScaling: null })[b.length - 1] / 8, 12);
	});

	it('refuses rope_freqs of the wrong length or with non-positive divisors', async () => {
		const base = { 'general.architecture': { type: 'string', value: 'llama' } } as const;
		const md = {
			...base,
			'llama.block_count': { type: 'u32', value: 1 },
			'llama.embedding_length': { type: 'u32', value: 32 },
			'llama.feed_forward_length': { type: 'u32', value: 48 },
			'llama.attention.head_count': { type: 'u32', value: 2 }
		} as const;
		await writeFile(join(dir, 'short.gguf'), writeGguf(md, [{ name: 'rope_freqs.weight', shape: [3], type: 0, data: new Uint8Array(12) }]));
		await expect(openModel(folderSource(dir), 'short.gguf')).rejects.toThrow(/short\.gguf: tensor rope_freqs\.weight has shape \[3\], expected \[rope\.dimension_count \/ 2\]/);
		await writeFile(join(dir, 'zero.gguf'), writeGguf(md, [{ name: 'rope_freqs.weight', shape: [8], type: 0, data: new Uint8Array(32) }]));
		await expect(openModel(folderSource(dir), 'zero.gguf')).rejects.toThrow(/zero\.gguf: rope_freqs\.weight\[0\] is 0; expected a positive divisor/);
	});
});
