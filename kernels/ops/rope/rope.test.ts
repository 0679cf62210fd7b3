/**
 * RoPE against ropeRef (float64) for both layouts, partial rotary dims, position offsets and
 * custom inverse frequencies. Tolerance: 1e-5 + 1e-5·|ref| (the cos/sin table is exact to f32;
 * what remains is f32 rounding of u·c - v·s).
 */
import { afterAll, describe, it } from 'vitest';
import { testContext } from '../../testing/context.js';
import { int, normal, rng } from '../../testing/rng.js';
import { expectClose } from '../../testing/compare.js';
import { tensorFrom } from '../../gpu/tensor.js';
import { readF32 } from '../../gpu/buffers.js';
import { createRopeTable, rope, ropeInvFreq, type RopeLayout } from './rope.js';
import { ropeRef } from './rope.ref.js';

const TOL = { atol: 1e-5, rtol: 1e-5 };
const ctx = await testContext();
afterAll(() => ctx.destroy());

describe.each(['half', 'pairs'] as RopeLayout[])('rope, %s layout', (layout) => {
	it('matches the reference (T, H, D, R, p0, theta)', async () => {
		const r = rng(layout === 'half' ? 11 : 12);
		const cases: [number, number, number, number, number, number][] = [
			[1, 1, 2, 2, 0, 10000],
			[3, 2, 8, 8, 0, 10000],
			[5, 3, 17, 16, 7, 500000],
			[4, 2, 64, 32, 100, 10000], // partial rotary (R < D)
			[1, 4, 64, 64, 2000, 1e6] // decode at a large position
		];
		for (let i = 0; i < 3; i++) {
			const D = int(r, 2, 80);
			cases.push([int(r, 1, 9), int(r, 1, 5), D, 2 * int(r, 1, Math.floor(D / 2)), int(r, 0, 300), 10000]);
		}
		for (const [T, H, D, R, p0, theta] of cases) {
			const x = normal(r, T * H * D);
			const table = createRopeTable(ctx, { rotaryDim: R, theta, maxPositions: p0 + T });
			const xt = tensorFrom(ctx, x, [T, H, D]);
			rope(ctx, { x: xt, table, pos0: p0, layout });
			const want = ropeRef(x, T, H, D, R, p0, layout, ropeInvFreq(R, theta));
			expectClose(await readF32(ctx, xt.buffer, T * H * D), want, TOL, `T=${T} H=${H} D=${D} R=${R} p0=${p0}`);
		}
	});

	it('uses given inverse frequencies (e.g. scaled rope)', async () => {
		const [T, H, D] = [3, 2, 12];
		const inv = ropeInvFreq(D, 10000).map((f, i) => (i % 2 ? f / 8 : f));
		const x = normal(rng(5), T * H * D);
		const table = createRopeTable(ctx, { rotaryDim: D, theta: 10000, maxPositions: 64, invFreq: inv });
		const xt = tensorFrom(ctx, x, [T, H, D]);
		rope(ctx, { x: xt, table, pos0: 40, layout });
		expectClose(await readF32(ctx, xt.buffer, T * H * D), ropeRef(x, T, H, D, D, 40, layout, inv), TOL);
	});
});
