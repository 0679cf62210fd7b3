/**
 * fusedMatvec against fusedMatvecRef (float64) for every weight format, variant, prologue and
 * epilogue, over random shapes including K and N below 32 and not multiples of 4.
 * Tolerance: |gpu - ref| <= 2e-4 + 2e-4·|ref|. The reference sees the weights exactly as the
 * kernel does (f16-rounded or dequantized); what remains is f32 accumulation order, the f32
 * inverseSqrt of the norm and exp in SiLU — a few ulps each, well inside the bound, while a
 * wrong row, pair, offset or a missing norm/bias is off by O(1).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { testContext } from '../../testing/context.js';
import { int, normal, rng } from '../../testing/rng.js';
import { expectClose } from '../../testing/compare.js';
import { makeWeight } from '../../testing/weights.js';
import { tensorFrom, type WeightFormat } from '../../gpu/tensor.js';
import { readF32 } from '../../gpu/buffers.js';
import { GpuError } from '../../gpu/errors.js';
import { fusedMatvec, type MatvecEpilogue } from './fused-matvec.js';
import { fusedMatvecRef } from './fused-matvec.ref.js';
import type { MatvecVariant } from './matvec.js';

const TOL = { atol: 2e-4, rtol: 2e-4 };
const ctx = await testContext();
afterAll(() => ctx.destroy());

const FORMATS: WeightFormat[] = ['f32', 'f16', 'q8', 'q4'];
const VARIANTS: MatvecVariant[] = ['rows', 'workgroup', 'subgroup'];
const EPILOGUES: MatvecEpilogue[] = ['store', 'add', 'swiglu'];

interface Case {
	M: number;
	xRow: number;
	K: number;
	N: number;
	norm: boolean;
	bias: boolean;
	outOffset: number;
	maxPartBytes?: number;
}

async function run(format: WeightFormat, variant: MatvecVariant, epilogue: MatvecEpilogue, c: Case, seed: number): Promise<number> {
	const r = rng(seed);
	const { M, K, N } = c;
	const x = normal(r, M * K, 2);
	const { weight, dense } = makeWeight(ctx, format, normal(r, N * K, 0.5), N, K, c.maxPartBytes);
	const g = c.norm ? normal(r, K) : undefined;
	const b = c.bias ? normal(r, N) : undefined;
	const outLen = c.outOffset + (epilogue === 'swiglu' ? N / 2 : N) + 3;
	const out0 = normal(r, outLen);
	const out = tensorFrom(ctx, out0, [outLen]);
	fusedMatvec(ctx, {
		x: tensorFrom(ctx, x, [M, K]),
		xRow: c.xRow,
		w: weight,
		norm: g ? { weight: tensorFrom(ctx, g, [K]), eps: 1e-5 } : undefined,
		bias: b ? tensorFrom(ctx, b, [N]) : undefined,
		out,
		outOffset: c.outOffset,
		epilogue,
		variant
	});
	const got = await readF32(ctx, out.buffer, outLen);
	const want = fusedMatvecRef(x.subarray(c.xRow * K, (c.xRow + 1) * K), dense, K, N, {
		norm: g ? { weight: g, eps: 1e-5 } : undefined,
		bias: b,
		epilogue,
		out: Float32Array.from(out0),
		outOffset: c.outOffset
	});
	expectClose(got, want, TOL, `${format} ${variant} ${epilogue} ${JSON.stringify(c)}`);
	return weight.parts.length;
}

/** Small and odd shapes, one model-sized one (SmolLM2: 576 -> 2·1536 for swiglu). */
function cases(format: WeightFormat, epilogue: MatvecEpilogue, seed: number): Case[] {
	const q = format === 'q8' || format === 'q4';
	const r = rng(seed);
	const even = (n: number) => (epilogue === 'swiglu' ? 2 * Math.ceil(n / 2) : n);
	const Ks = q ? [32, 96, 32 * int(r, 1, 5)] : [1, 3, 7, 17, int(r, 1, 140)];
	const out: Case[] = Ks.map((K, i) => ({
		M: 1 + (i % 3),
		xRow: i % 3,
		K,
		N: even([1, 5, 2, 31, int(r, 1, 70)][i % 5]),
		norm: i % 2 === 0,
		bias: i % 3 === 1,
		outOffset: i % 2 === 1 ? 3 : 0
	}));
	out.push({ M: 1, xRow: 0, K: q ? 576 : 130, N: even(q ? 300 : 67), norm: true, bias: false, outOffset: 0 });
	return out;
}

describe.each(FORMATS)('fusedMatvec, %s weights', (format) => {
	for (const variant of VARIANTS) {
		const skip = (format === 'f16' && !ctx.features.f16) || (variant === 'subgroup' && !ctx.features.subgroups);
		it.skipIf(skip)(`${variant}: store / add / swiglu, with and without norm and bias`, async () => {
			for (const [e, epilogue] of EPILOGUES.entries()) {
				for (const [i, c] of cases(format, epilogue, 10 * e + VARIANTS.indexOf(variant)).entries()) {
					await run(format, variant, epilogue, c, 100 * e + i);
				}
			}
		});
	}

	it.skipIf(format === 'f16' && !ctx.features.f16)('weights split into parts (even rows for swiglu)', async () => {
		const K = 64;
		const rowBytes = format === 'f32' ? K * 4 : format === 'f16' ? K * 2 : format === 'q8' ? 72 : 40;
		const c: Case = { M: 2, xRow: 1, K, N: 36, norm: true, bias: true, outOffset: 2, maxPartBytes: rowBytes * 6 };
		// One variant per epilogue keeps the number of compiled pipelines (slow on CPU adapters) down.
		const variants = VARIANTS.filter((v) => v !== 'subgroup' || ctx.features.subgroups);
		for (const [i, epilogue] of EPILOGUES.entries()) expect(await run(format, variants[i % variants.length], epilogue, c, 7)).toBe(6);
	});
});

describe('fusedMatvec input checks', () => {
	it('rejects a swiglu weight with an odd row count or a part that splits a pair', () => {
		const x = tensorFrom(ctx, new Float32Array(8), [1, 8]);
		const out = tensorFrom(ctx, new Float32Array(8), [8]);
		const odd = makeWeight(ctx, 'f32', new Float32Array(5 * 8), 5, 8).weight;
		expect(() => fusedMatvec(ctx, { x, w: odd, out, epilogue: 'swiglu' })).toThrow(GpuError);
		const split = makeWeight(ctx, 'f32', new Float32Array(6 * 8), 6, 8, 3 * 8 * 4).weight; // parts of 3 rows
		expect(() => fusedMatvec(ctx, { x, w: split, out, epilogue: 'swiglu' })).toThrow(/splits a \(gate, up\) pair/);
	});

	it('rejects an output without room and a bad xRow', () => {
		const x = tensorFrom(ctx, new Float32Array(8), [1, 8]);
		const w = makeWeight(ctx, 'f32', new Float32Array(6 * 8), 6, 8).weight;
		expect(() => fusedMatvec(ctx, { x, w, out: tensorFrom(ctx, new Float32Array(6), [6]), outOffset: 1 })).toThrow(/no room/);
		expect(() => fusedMatvec(ctx, { x, w, out: tensorFrom(ctx, new Float32Array(6), [6]), xRow: 1 })).toThrow(/xRow/);
	});
});
