/**
 * attentionDecode (qkvPost + attention fused, one new token) against qkvPostRef followed by
 * attentionRef (float64), over a cache holding random keys/values at 0 .. p0 - 1: both RoPE
 * layouts, with and without the q/k norm, f32 and f16 caches, odd head dims, several query
 * heads per kv head, with and without the key split (flash-decoding). Also checks that the new
 * k/v land in the cache at p0. Tolerance: 2e-5 + 2e-4·|ref| for the output (f32 dots, exp, the
 * norm's inverseSqrt); with an f16 cache 1e-3 + 2e-3·|ref|, because the new k/v rounded to f16
 * from f32 may land one f16 ulp (~1e-3 absolute at |k| ~ 1) away from the float64 reference's
 * rounding, which moves the scores by ~|q|·1e-3·scale and the output by about as much;
 * the new cache row as in qkv-post.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { testContext } from '../../testing/context.js';
import { normal, rng } from '../../testing/rng.js';
import { expectClose } from '../../testing/compare.js';
import { Batch } from '../../gpu/batch.js';
import { emptyTensor, tensorFrom } from '../../gpu/tensor.js';
import { readF16, readF32 } from '../../gpu/buffers.js';
import { fromF16Array, toF16Array } from '../../gpu/f16.js';
import { createRopeTable, ropeInvFreq, type RopeLayout } from '../rope/rope.js';
import { attentionDecode } from './attention-decode.js';
import { attentionRef } from './attention.ref.js';
import { createKvCache, writeKv, type KvDtype } from './kv-cache.js';
import { qkvPostRef } from './qkv-post.ref.js';

const ctx = await testContext();
afterAll(() => ctx.destroy());

async function run(p0: number, Hq: number, Hkv: number, D: number, R: number, layout: RopeLayout, norm: boolean, dtype: KvDtype, split: number, seed: number) {
	const r = rng(seed);
	const S = p0 + 3;
	const row = Hkv * D;
	const width = (Hq + 2 * Hkv) * D;
	const qkv = normal(r, width, 2);
	const kOld = normal(r, p0 * row);
	const vOld = normal(r, p0 * row);
	const qn = norm ? normal(r, D) : undefined;
	const kn = norm ? normal(r, D) : undefined;
	const cache = createKvCache(ctx, S, Hkv, D, dtype);
	const table = createRopeTable(ctx, { rotaryDim: R, theta: 10000, maxPositions: S });
	const out = emptyTensor(ctx, [1, Hq, D]);
	const b = new Batch(ctx);
	if (p0 > 0) writeKv(ctx, { cache, k: tensorFrom(ctx, kOld, [p0, Hkv, D]), v: tensorFrom(ctx, vOld, [p0, Hkv, D]), pos0: 0 }, b);
	const qkNorm = qn && kn ? { q: tensorFrom(ctx, qn, [D]), k: tensorFrom(ctx, kn, [D]), eps: 1e-6 } : undefined;
	attentionDecode(ctx, { qkv: tensorFrom(ctx, qkv, [1, width]), heads: Hq, qkNorm, table, layout, pos0: p0, cache, out, splitLength: split }, b);
	b.submit();
	const post = qkvPostRef(qkv, { T: 1, Hq, Hkv, D, R, p0, layout, invFreq: ropeInvFreq(R, 10000), qkNorm: qn && kn ? { q: qn, k: kn, eps: 1e-6 } : undefined });
	const seen = (x: Float32Array) => (dtype === 'f16' ? fromF16Array(toF16Array(x)) : x);
	const kAll = new Float32Array((p0 + 1) * row);
	const vAll = new Float32Array((p0 + 1) * row);
	kAll.set(seen(kOld));
	kAll.set(seen(post.k), p0 * row);
	vAll.set(seen(vOld));
	vAll.set(seen(post.v), p0 * row);
	const want = attentionRef(post.q, kAll, vAll, 1, p0, Hq, Hkv, D);
	const what = `p0=${p0} Hq=${Hq} Hkv=${Hkv} D=${D} R=${R} ${layout} norm=${norm} ${dtype} split=${split}`;
	expectClose(await readF32(ctx, out.buffer, Hq * D), want, dtype === 'f16' ? { atol: 1e-3, rtol: 2e-3 } : { atol: 2e-5, rtol: 2e-4 }, what);
	const read = async (buf: GPUBuffer) => (dtype === 'f16' ? (await readF16(ctx, buf, S * row)).subarray(p0 * row, (p0 + 1) * row) : await readF32(ctx, buf, row, p0 * row));
	const tol = dtype === 'f16' ? { atol: 1e-5, rtol: 1e-3 } : { atol: 2e-5, rtol: 1e-4 };
	expectClose(await read(cache.k.buffer), seen(post.k), tol, `${what} cache k`);
	expectClose(await read(cache.v.buffer), seen(post.v), tol, `${what} cache v`);
}

describe.each(['half', 'pairs'] as RopeLayout[])('attentionDecode, %s layout', (layout) => {
	it.each([
		// p0, Hq, Hkv, D, R, norm, split
		[0, 1, 1, 2, 2, false, 0],
		[3, 3, 1, 6, 6, true, 0],
		[70, 9, 3, 64, 64, false, 0], // SmolLM2's heads, past one 64-key chunk
		[10, 4, 2, 10, 6, true, 0], // partial rotary
		[40, 4, 2, 24, 24, true, 16], // split keys
		[5, 2, 2, 130, 128, false, 4] // D > 2·WG, split
	])('f32 cache p0=%i Hq=%i Hkv=%i D=%i R=%i norm=%s split=%i', async (p0, Hq, Hkv, D, R, norm, split) => {
		await run(p0, Hq, Hkv, D, R, layout, norm, 'f32', split, p0 + D + (norm ? 1 : 0));
	});

	it.skipIf(!ctx.features.f16).each([
		[7, 4, 2, 8, 8, true, 0],
		[33, 6, 3, 17 + 1, 18, false, 8]
	])('f16 cache p0=%i Hq=%i Hkv=%i D=%i R=%i norm=%s split=%i', async (p0, Hq, Hkv, D, R, norm, split) => {
		await run(p0, Hq, Hkv, D, R, layout, norm, 'f16', split, 500 + p0 + D);
	});

	it('rejects more than one token', () => {
		const cache = createKvCache(ctx, 4, 1, 4);
		const table = createRopeTable(ctx, { rotaryDim: 4, theta: 10000, maxPositions: 8 });
		const a = { qkv: emptyTensor(ctx, [2, 12]), heads: 1, table, layout, pos0: 0, cache, out: emptyTensor(ctx, [1, 1, 4]) };
		expect(() => attentionDecode(ctx, a)).toThrow(/one token/);
	});
});
