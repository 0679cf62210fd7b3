/**
 * GPU sampler against sampleRef / processLogitsRef: for each setting and several host-seeded
 * u, both must pick the same token, and keep the same set of tokens. Logits are random normal
 * values (no ties), so f32 vs float64 differences only matter at measure-zero boundaries.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { testContext } from '../../testing/context.js';
import { int, normal, rng } from '../../testing/rng.js';
import { emptyTensor, tensorFrom } from '../../gpu/tensor.js';
import { readF32, readU32 } from '../../gpu/buffers.js';
import { GpuError } from '../../gpu/errors.js';
import { sample, sampleToken } from './sampling.js';
import { processLogitsRef, sampleRef, type SamplingParams } from './sampling.ref.js';

const ctx = await testContext();
afterAll(() => ctx.destroy());

const SETTINGS: [string, SamplingParams][] = [
	['greedy', { temperature: 0 }],
	['greedy + repetition penalty', { temperature: 0, repetitionPenalty: 1.3 }],
	['plain', {}],
	['temperature', { temperature: 0.7 }],
	['top-k', { topK: 5 }],
	['top-k 1', { topK: 1 }],
	['top-p', { topP: 0.8 }],
	['top-p tiny', { topP: 0.01 }],
	['min-p', { minP: 0.1 }],
	['typical-p', { typicalP: 0.5 }],
	['repetition penalty', { repetitionPenalty: 1.5, temperature: 0.8 }],
	['everything', { temperature: 0.9, topK: 40, topP: 0.9, minP: 0.02, typicalP: 0.9, repetitionPenalty: 1.2 }]
];

describe('sampling', () => {
	it.each(SETTINGS)('%s: same token and same kept set as the reference', async (_name, params) => {
		const r = rng(_name.length * 31 + 7);
		for (const V of [1, 3, 7, 100, 1000, 5000]) {
			const logits = normal(r, V, 3);
			const prev = Uint32Array.from({ length: int(r, 0, 12) }, () => int(r, 0, V - 1));
			const lt = tensorFrom(ctx, logits, [V]);
			const pt = prev.length ? tensorFrom(ctx, prev, [prev.length]) : undefined;
			const scratch = emptyTensor(ctx, [V]);
			const out = emptyTensor(ctx, [2], 'u32');
			for (let s = 0; s < 4; s++) {
				const u = r();
				sample(ctx, { logits: lt, prevIds: pt, params, u, out, scratch });
				const [tok, kept] = await readU32(ctx, out.buffer, 2);
				expect(tok, `V=${V} u=${u}`).toBe(sampleRef(logits, prev, params, u));
				if (params.temperature !== 0) {
					const ref = processLogitsRef(logits, prev, params);
					const refKept = ref.filter((x) => x > -Infinity).length;
					expect(kept, `kept tokens, V=${V}`).toBe(refKept);
					const got = await readF32(ctx, scratch.buffer, V);
					got.forEach((g, i) => expect(g > -1e38, `token ${i} kept`).toBe(ref[i] > -Infinity));
				}
			}
		}
	});

	it('reads back only the token id, reproducibly for a given u', async () => {
		const logits = normal(rng(1), 300, 2);
		const lt = tensorFrom(ctx, logits, [300]);
		const a = await sampleToken(ctx, { logits: lt, params: { topP: 0.9 }, u: 0.42 });
		const b = await sampleToken(ctx, { logits: lt, params: { topP: 0.9 }, u: 0.42 });
		expect(a).toBe(b);
		expect(a).toBe(sampleRef(logits, [], { topP: 0.9 }, 0.42));
	});

	it('rejects bad settings with a typed error', () => {
		const lt = tensorFrom(ctx, new Float32Array(4), [4]);
		const out = emptyTensor(ctx, [2], 'u32');
		expect(() => sample(ctx, { logits: lt, params: { temperature: -1 }, u: 0.5, out })).toThrow(GpuError);
		expect(() => sample(ctx, { logits: lt, params: { topP: 1.5 }, u: 0.5, out })).toThrow(/topP/);
		expect(() => sample(ctx, { logits: lt, params: {}, u: 1, out })).toThrow(/u must be/);
	});
});
