/**
 * The whole SiLU-gated MLP against mlpRef (float64), prefill (M > 1) and decode (M = 1), for
 * every weight format. The reference uses the weights as the kernels see them, so the tolerance
 * is the f32 one for all formats: 1e-4 + 1e-4·|ref|.
 */
import { afterAll, describe, it } from 'vitest';
import { testContext } from '../../testing/context.js';
import { normal, rng } from '../../testing/rng.js';
import { expectClose } from '../../testing/compare.js';
import { makeWeight } from '../../testing/weights.js';
import { emptyTensor, tensorFrom, type WeightFormat } from '../../gpu/tensor.js';
import { readF32 } from '../../gpu/buffers.js';
import { Batch } from '../../gpu/batch.js';
import { mlp } from './mlp.js';
import { mlpRef } from './mlp.ref.js';

const TOL = { atol: 1e-4, rtol: 1e-4 };
const ctx = await testContext();
afterAll(() => ctx.destroy());

describe.each(['f32', 'f16', 'q8', 'q4'] as WeightFormat[])('mlp, %s weights', (format) => {
	const q = format === 'q8' || format === 'q4';
	it.skipIf(format === 'f16' && !ctx.features.f16).each([
		[1, q ? 32 : 12, q ? 64 : 37],
		[5, q ? 64 : 24, q ? 96 : 50]
	])('M=%i D=%i I=%i', async (M, D, I) => {
		const r = rng(M * 1000 + D + I);
		const g = makeWeight(ctx, format, normal(r, I * D, 0.3), I, D);
		const u = makeWeight(ctx, format, normal(r, I * D, 0.3), I, D);
		const d = makeWeight(ctx, format, normal(r, D * I, 0.3), D, I);
		const x = normal(r, M * D);
		const out = emptyTensor(ctx, [M, D]);
		const batch = new Batch(ctx);
		mlp(ctx, { x: tensorFrom(ctx, x, [M, D]), w: { gate: g.weight, up: u.weight, down: d.weight }, out }, batch);
		batch.submit();
		expectClose(await readF32(ctx, out.buffer, M * D), mlpRef(x, g.dense, u.dense, d.dense, M, D, I), TOL);
	});
});
