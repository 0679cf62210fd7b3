/** silu(gate)·up against siluMulRef (float64). Tolerance: 1e-6 + 1e-5·|ref|. */
import { afterAll, it } from 'vitest';
import { testContext } from '../../testing/context.js';
import { normal, rng } from '../../testing/rng.js';
import { expectClose } from '../../testing/compare.js';
import { emptyTensor, tensorFrom } from '../../gpu/tensor.js';
import { readF32 } from '../../gpu/buffers.js';
import { siluMul } from './silu-mul.js';
import { siluMulRef } from './silu-mul.ref.js';

const TOL = { atol: 1e-6, rtol: 1e-5 };
const ctx = await testContext();
afterAll(() => ctx.destroy());

it.each([[1], [5], [8], [33], [1000]])('n=%i, including large |gate|', async (n) => {
	const r = rng(n + 10);
	const gate = normal(r, n, 4);
	gate[0] = -100;
	if (n > 1) gate[1] = 100;
	const up = normal(r, n);
	const out = emptyTensor(ctx, [n]);
	siluMul(ctx, { gate: tensorFrom(ctx, gate, [n]), up: tensorFrom(ctx, up, [n]), out });
	expectClose(await readF32(ctx, out.buffer, n), siluMulRef(gate, up), TOL);
});
