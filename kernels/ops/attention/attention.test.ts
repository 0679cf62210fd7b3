/**
 * Attention against attentionRef (float64): prefill with and without cached prefix, decode,
 * GQA ratios 1..4, head dims 1..130, one workgroup per query and keys split over workgroups,
 * f32 and f16 KV caches. K/V enter through writeKv, so the cache write is tested too.
 * Tolerance: 1e-5 + 1e-4·|ref| (f32 dot products and exp), for the f16 cache too, because the
 * reference then uses the f16-rounded keys and values.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { testContext } from '../../testing/context.js';
import { int, normal, rng } from '../../testing/rng.js';
import { expectClose } from '../../testing/compare.js';
import { emptyTensor, tensorFrom } from '../../gpu/tensor.js';
import { readF32 } from '../../gpu/buffers.js';
import { Batch } from '../../gpu/batch.js';
import { GpuError } from '../../gpu/errors.js';
import { fromF16Array, toF16Array } from '../../gpu/f16.js';
import { attention, createKvCache, writeKv, type KvDtype } from './attention.js';
import { attentionRef } from './attention.ref.js';

const TOL = { atol: 1e-5, rtol: 1e-4 };
const ctx = await testContext();
afterAll(() => ctx.destroy());

/** Fills positions [0, p0) in one write, then runs T new tokens (write + attention). */
async function run(
	T: number,
	p0: number,
	Hq: number,
	Hkv: number,
	D: number,
	seed: number,
	splitLength = 0,
	dtype: KvDtype = 'f32'
) {
	const r = rng(seed);
	const S = p0 + T + int(r, 0, 3);
	const cache = createKvCache(ctx, S, Hkv, D, dtype);
	const kAll = normal(r, (p0 + T) * Hkv * D, 2);
	const vAll = normal(r, (p0 + T) * Hkv * D);
	const q = normal(r, T * Hq * D, 2);
	const row = Hkv * D;
	const b = new Batch(ctx);
	if (p0 > 0) {
		const k0 = tensorFrom(ctx, kAll.slice(0, p0 * row), [p0, Hkv, D]);
		const v0 = tensorFrom(ctx, vAll.slice(0, p0 * row), [p0, Hkv, D]);
		writeKv(ctx, { cache, k: k0, v: v0, pos0: 0 }, b);
	}
	const k1 = tensorFrom(ctx, kAll.slice(p0 * row), [T, Hkv, D]);
	const v1 = tensorFrom(ctx, vAll.slice(p0 * row), [T, Hkv, D]);
	writeKv(ctx, { cache, k: k1, v: v1, pos0: p0 }, b);
	const out = emptyTensor(ctx, [T, Hq, D]);
	attention(ctx, { q: tensorFrom(ctx, q, [T, Hq, D]), cache, pos0: p0, out, splitLength }, b);
	b.submit();
	const seen = (x: Float32Array) => (dtype === 'f16' ? fromF16Array(toF16Array(x)) : x);
	const want = attentionRef(q, seen(kAll), seen(vAll), T, p0, Hq, Hkv, D);
	expectClose(await readF32(ctx, out.buffer, T * Hq * D), want, TOL, `T=${T} p0=${p0} Hq=${Hq} Hkv=${Hkv} D=${D} split=${splitLength} ${dtype}`);
}

describe('attention', () => {
	it.each([
		// T, p0, Hq, Hkv, D
		[1, 0, 1, 1, 1],
		[5, 0, 2, 2, 8], // prefill from empty, MHA
		[7, 3, 4, 2, 17], // prefill after a prefix, GQA 2
		[3, 70, 6, 2, 64], // crosses the 64-key chunk boundary
		[33, 0, 4, 1, 8], // MQA
		[2, 5, 8, 2, 130] // head dim > 2 · WG
	])('prefill T=%i p0=%i Hq=%i Hkv=%i D=%i', async (T, p0, Hq, Hkv, D) => {
		await run(T, p0, Hq, Hkv, D, T * 131 + p0 * 7 + D);
	});

	it.each([
		[0, 1, 1, 5],
		[1, 2, 1, 3],
		[63, 3, 3, 16],
		[64, 4, 2, 64],
		[150, 9, 3, 24]
	])('decode p0=%i Hq=%i Hkv=%i D=%i', async (p0, Hq, Hkv, D) => {
		await run(1, p0, Hq, Hkv, D, p0 + D);
	});

	it.each([
		// T, p0, Hq, Hkv, D, keys per split
		[1, 0, 2, 1, 8, 16],
		[1, 150, 4, 2, 17, 16],
		[1, 300, 9, 3, 64, 64],
		[1, 200, 2, 2, 130, 100],
		[6, 40, 4, 2, 24, 7] // prefill: later queries have more splits than earlier ones
	])('split keys (flash-decoding) T=%i p0=%i Hq=%i Hkv=%i D=%i split=%i', async (T, p0, Hq, Hkv, D, split) => {
		await run(T, p0, Hq, Hkv, D, T + p0 + D, split);
	});

	it.skipIf(!ctx.features.f16).each([
		[5, 0, 2, 2, 8, 0],
		[3, 70, 6, 2, 17, 0],
		[1, 130, 4, 1, 64, 32],
		[1, 9, 3, 3, 5, 0]
	])('f16 KV cache T=%i p0=%i Hq=%i Hkv=%i D=%i split=%i', async (T, p0, Hq, Hkv, D, split) => {
		await run(T, p0, Hq, Hkv, D, 900 + T + p0 + D, split, 'f16');
	});

	it('random shapes', async () => {
		const r = rng(77);
		for (let i = 0; i < 4; i++) {
			const Hkv = int(r, 1, 3);
			await run(int(r, 1, 9), int(r, 0, 80), Hkv * int(r, 1, 3), Hkv, int(r, 1, 70), 500 + i, i % 2 ? int(r, 1, 40) : 0);
		}
	});

	it('rejects positions beyond the cache', () => {
		const cache = createKvCache(ctx, 4, 1, 8);
		const q = emptyTensor(ctx, [2, 1, 8]);
		expect(() => attention(ctx, { q, cache, pos0: 3, out: emptyTensor(ctx, [2, 1, 8]) })).toThrow(GpuError);
	});
});
