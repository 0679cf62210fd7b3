/**
 * qkvPost against qkvPostRef (float64) for both RoPE layouts, partial rotary dims, with and
 * without Qwen3's q/k norm, f32 and f16 caches, odd head dims and several tokens (prefill).
 * Tolerance: 1e-5 + 1e-5·|ref| for f32 (table cos/sin are exact; f32 rounding of u·c ± v·s),
 * 2e-5 + 1e-4·|ref| with the norm (f32 inverseSqrt); the f16 cache is compared with the
 * reference rounded to f16 plus 1e-3 relative (one f16 ulp).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { testContext } from '../../testing/context.js';
import { int, normal, rng } from '../../testing/rng.js';
import { expectClose } from '../../testing/compare.js';
import { emptyTensor, tensorFrom } from '../../gpu/tensor.js';
import { readF16, readF32 } from '../../gpu/buffers.js';
import { fromF16Array, toF16Array } from '../../gpu/f16.js';
import { createRopeTable, ropeInvFreq, type RopeLayout } from '../rope/rope.js';
import { createKvCache, type KvDtype } from './kv-cache.js';
import { qkvPost } from './qkv-post.js';
import { qkvPostRef } from './qkv-post.ref.js';

const ctx = await testContext();
afterAll(() => ctx.destroy());

interface Case {
	T: number;
	Hq: number;
	Hkv: number;
	D: number;
	R: number;
	p0: number;
}

async function run(c: Case, layout: RopeLayout, norm: boolean, dtype: KvDtype, seed: number): Promise<void> {
	const r = rng(seed);
	const { T, Hq, Hkv, D, R, p0 } = c;
	const S = p0 + T + 2;
	const width = (Hq + 2 * Hkv) * D;
	const qkv = normal(r, T * width, 2);
	const qn = norm ? normal(r, D) : undefined;
	const kn = norm ? normal(r, D) : undefined;
	const invFreq = ropeInvFreq(R, 10000);
	const table = createRopeTable(ctx, { rotaryDim: R, theta: 10000, maxPositions: S });
	const cache = createKvCache(ctx, S, Hkv, D, dtype);
	const q = emptyTensor(ctx, [T, Hq, D]);
	qkvPost(ctx, {
		qkv: tensorFrom(ctx, qkv, [T, width]),
		heads: Hq,
		qkNorm: qn && kn ? { q: tensorFrom(ctx, qn, [D]), k: tensorFrom(ctx, kn, [D]), eps: 1e-6 } : undefined,
		table,
		layout,
		pos0: p0,
		q,
		cache
	});
	const want = qkvPostRef(qkv, { T, Hq, Hkv, D, R, p0, layout, invFreq, qkNorm: qn && kn ? { q: qn, k: kn, eps: 1e-6 } : undefined });
	const tol = norm ? { atol: 2e-5, rtol: 1e-4 } : { atol: 1e-5, rtol: 1e-5 };
	const what = `${layout} norm=${norm} ${dtype} ${JSON.stringify(c)}`;
	expectClose(await readF32(ctx, q.buffer, T * Hq * D), want.q, tol, `${what} q`);
	const row = Hkv * D;
	const read = async (buf: GPUBuffer) =>
		dtype === 'f16' ? (await readF16(ctx, buf, S * row)).subarray(p0 * row, (p0 + T) * row) : await readF32(ctx, buf, T * row, p0 * row);
	const seen = (x: Float32Array) => (dtype === 'f16' ? fromF16Array(toF16Array(x)) : x);
	const ktol = dtype === 'f16' ? { atol: 1e-5, rtol: 1e-3 } : tol;
	expectClose(await read(cache.k.buffer), seen(want.k), ktol, `${what} k`);
	expectClose(await read(cache.v.buffer), seen(want.v), ktol, `${what} v`);
	// Positions outside p0 .. p0 + T - 1 stay untouched (zero).
	const all = dtype === 'f16' ? await readF16(ctx, cache.k.buffer, S * row) : await readF32(ctx, cache.k.buffer, S * row);
	expect(all.subarray(0, p0 * row).every((v) => v === 0)).toBe(true);
	expect(all.subarray((p0 + T) * row).every((v) => v === 0)).toBe(true);
}

function cases(seed: number): Case[] {
	const r = rng(seed);
	const out: Case[] = [
		{ T: 1, Hq: 1, Hkv: 1, D: 2, R: 2, p0: 0 },
		{ T: 1, Hq: 3, Hkv: 1, D: 6, R: 6, p0: 5 },
		{ T: 3, Hq: 4, Hkv: 2, D: 10, R: 6, p0: 2 }, // partial rotary, prefill
		{ T: 1, Hq: 9, Hkv: 3, D: 64, R: 64, p0: 70 }, // SmolLM2's heads, decode
		{ T: 2, Hq: 2, Hkv: 2, D: 130, R: 128, p0: 1 } // D > WG: several features per invocation
	];
	const D = 2 * int(r, 1, 40);
	out.push({ T: int(r, 1, 4), Hq: 2 * int(r, 1, 3), Hkv: 2, D, R: 2 * int(r, 1, D / 2), p0: int(r, 0, 9) });
	return out;
}

describe.each(['half', 'pairs'] as RopeLayout[])('qkvPost, %s layout', (layout) => {
	for (const norm of [false, true]) {
		it(`f32 cache${norm ? ', q/k norm' : ''}`, async () => {
			for (const [i, c] of cases(norm ? 2 : 1).entries()) await run(c, layout, norm, 'f32', 10 * i + (norm ? 1 : 0));
		});
		it.skipIf(!ctx.features.f16)(`f16 cache${norm ? ', q/k norm' : ''}`, async () => {
			for (const [i, c] of cases(norm ? 4 : 3).entries()) await run(c, layout, norm, 'f16', 50 + 10 * i + (norm ? 1 : 0));
		});
	}

	it('rejects positions past the cache and head dims over the limit', () => {
		const cache = createKvCache(ctx, 4, 1, 4);
		const table = createRopeTable(ctx, { rotaryDim: 4, theta: 10000, maxPositions: 8 });
		const a = { qkv: emptyTensor(ctx, [2, 12]), heads: 1, table, layout, pos0: 3, q: emptyTensor(ctx, [2, 1, 4]), cache };
		expect(() => qkvPost(ctx, a)).toThrow(/exceed the cache capacity/);
	});
});
