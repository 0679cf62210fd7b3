/**
 * RMSNorm against rmsnormRef (float64). Tolerance: 1e-5 + 1e-5·|ref| (f32 weight);
 * f16 weight: same, since the reference uses the f16-rounded weight and the math stays f32.
 */
import { afterAll, describe, it } from 'vitest';
import { testContext } from '../../testing/context.js';
import { int, normal, rng } from '../../testing/rng.js';
import { expectClose } from '../../testing/compare.js';
import { emptyTensor, tensorFrom } from '../../gpu/tensor.js';
import { readF32 } from '../../gpu/buffers.js';
import { fromF16Array, toF16Array } from '../../gpu/f16.js';
import { rmsnorm } from './rmsnorm.js';
import { rmsnormRef } from './rmsnorm.ref.js';

const TOL = { atol: 1e-5, rtol: 1e-5 };
const ctx = await testContext();
afterAll(() => ctx.destroy());

describe.each(['f32', 'f16'] as const)('rmsnorm, %s weight', (dtype) => {
	it.skipIf(dtype === 'f16' && !ctx.features.f16)('matches the reference over random shapes', async () => {
		const r = rng(dtype === 'f32' ? 1 : 2);
		const shapes = [[1, 1], [3, 5], [2, 7], [4, 8], [5, 33], [9, 64], [3, 130], [2, 576]];
		for (let i = 0; i < 3; i++) shapes.push([int(r, 1, 20), int(r, 1, 300)]);
		for (const [R, D] of shapes) {
			const x = normal(r, R * D, 3);
			let w = normal(r, D);
			const wBits = dtype === 'f16' ? toF16Array(w) : undefined;
			if (wBits) w = fromF16Array(wBits);
			const eps = [1e-5, 1e-6, 0.1][int(r, 0, 2)];
			const out = emptyTensor(ctx, [R, D]);
			rmsnorm(ctx, { x: tensorFrom(ctx, x, [R, D]), weight: tensorFrom(ctx, wBits ?? w, [D]), out, eps });
			expectClose(await readF32(ctx, out.buffer, R * D), rmsnormRef(x, w, R, D, eps), TOL, `R=${R} D=${D}`);
		}
	});
});
