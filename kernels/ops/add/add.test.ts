/** Residual add against addRef. Tolerance: exact (one f32 add, correctly rounded). */
import { afterAll, expect, it } from 'vitest';
import { testContext } from '../../testing/context.js';
import { normal, rng } from '../../testing/rng.js';
import { emptyTensor, tensorFrom } from '../../gpu/tensor.js';
import { readF32 } from '../../gpu/buffers.js';
import { add } from './add.js';
import { addRef } from './add.ref.js';

const ctx = await testContext();
afterAll(() => ctx.destroy());

it.each([[1], [3], [7], [64], [65], [1000]])('out = a + b and a += b, n=%i', async (n) => {
	const r = rng(n);
	const a = normal(r, n);
	const b = normal(r, n);
	const want = addRef(a, b);
	const at = tensorFrom(ctx, a, [n]);
	const bt = tensorFrom(ctx, b, [n]);
	const out = emptyTensor(ctx, [n]);
	add(ctx, { a: at, b: bt, out });
	expect(await readF32(ctx, out.buffer, n)).toEqual(want);
	add(ctx, { a: at, b: bt });
	expect(await readF32(ctx, at.buffer, n)).toEqual(want);
});
