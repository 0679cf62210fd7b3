/** Softmax against softmaxRef (float64). Tolerance: 1e-6 + 1e-4·|ref| (exp in f32). */
import { afterAll, expect, it } from 'vitest';
import { testContext } from '../../testing/context.js';
import { int, normal, rng } from '../../testing/rng.js';
import { expectClose } from '../../testing/compare.js';
import { emptyTensor, tensorFrom } from '../../gpu/tensor.js';
import { readF32 } from '../../gpu/buffers.js';
import { softmax } from './softmax.js';
import { softmaxRef } from './softmax.ref.js';

const TOL = { atol: 1e-6, rtol: 1e-4 };
const ctx = await testContext();
afterAll(() => ctx.destroy());

it('matches the reference over random shapes, including large logits', async () => {
	const r = rng(3);
	const shapes = [[1, 1], [2, 3], [3, 7], [4, 8], [5, 31], [2, 64], [3, 1000]];
	for (let i = 0; i < 3; i++) shapes.push([int(r, 1, 12), int(r, 1, 500)]);
	for (const [R, C] of shapes) {
		const x = normal(r, R * C, 10);
		x[0] += 200; // far beyond exp's f32 range without the max subtraction
		const out = emptyTensor(ctx, [R, C]);
		softmax(ctx, { x: tensorFrom(ctx, x, [R, C]), out });
		const got = await readF32(ctx, out.buffer, R * C);
		expectClose(got, softmaxRef(x, R, C), TOL, `R=${R} C=${C}`);
		expect(got.every(Number.isFinite)).toBe(true);
	}
});
