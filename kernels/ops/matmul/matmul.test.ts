/**
 * matmul / matvec against linearRef (float64) for every weight format and variant.
 * Tolerance: |gpu - ref| <= 1e-4 + 1e-4·|ref| for all formats, because the reference uses the
 * weights exactly as the kernel sees them (f16-rounded or dequantized) and every kernel
 * accumulates in f32; quantization error itself is measured in quant/quant.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { testContext } from '../../testing/context.js';
import { rng, int, normal } from '../../testing/rng.js';
import { expectClose } from '../../testing/compare.js';
import { makeWeight } from '../../testing/weights.js';
import { emptyTensor, tensorFrom, type WeightFormat } from '../../gpu/tensor.js';
import { readF32 } from '../../gpu/buffers.js';
import { GpuError } from '../../gpu/errors.js';
import type { GpuContext } from '../../gpu/context.js';
import { linearRef } from './matmul.ref.js';
import { linear, matmul } from './matmul.js';
import { matvec, type MatvecVariant } from '../matvec/matvec.js';
import { fusedMatvecRef } from '../matvec/fused-matvec.ref.js';
import type { MatvecEpilogue } from '../matvec/fused-matvec.wgsl.js';

const TOL = { atol: 1e-4, rtol: 1e-4 };
const ctx = await testContext();
afterAll(() => ctx.destroy());

const FORMATS: WeightFormat[] = ['f32', 'f16', 'q8', 'q4'];
const skipFormat = (f: WeightFormat) => f === 'f16' && !ctx.features.f16;

/** Runs one linear layer on the GPU and on the CPU and compares. */
async function check(
	c: GpuContext,
	format: WeightFormat,
	M: number,
	K: number,
	N: number,
	seed: number,
	opts: { bias?: boolean; variant?: MatvecVariant | 'matmul'; maxPartBytes?: number } = {}
): Promise<number> {
	const r = rng(seed);
	const x = normal(r, M * K);
	const { weight, dense } = makeWeight(c, format, normal(r, N * K, 0.5), N, K, opts.maxPartBytes);
	const b = opts.bias ? normal(r, N) : undefined;
	const xt = tensorFrom(c, x, [M, K]);
	const out = emptyTensor(c, [M, N]);
	const bias = b ? tensorFrom(c, b, [N]) : undefined;
	const args = { x: xt, w: weight, bias, out };
	if (opts.variant === 'matmul') matmul(c, args);
	else if (opts.variant) matvec(c, { ...args, variant: opts.variant });
	else linear(c, args);
	const got = await readF32(c, out.buffer, M * N);
	expectClose(got, linearRef(x, dense, b, M, K, N), TOL, `${format} M=${M} K=${K} N=${N}`);
	return weight.parts.length;
}

/** Shapes: tiny, below the subgroup size, not multiples of 4, and a few larger ones. */
function shapes(format: WeightFormat, seed: number): [number, number, number][] {
	const q = format === 'q8' || format === 'q4';
	const fixed: [number, number, number][] = q
		? [[2, 32, 1], [3, 32, 7], [9, 64, 13], [17, 96, 33], [40, 256, 70]]
		: [[2, 1, 1], [3, 5, 7], [4, 8, 4], [7, 33, 9], [17, 64, 31], [33, 96, 65], [40, 256, 70]];
	const r = rng(seed);
	for (let i = 0; i < 3; i++) {
		const K = q ? 32 * int(r, 1, 6) : int(r, 1, 200);
		fixed.push([int(r, 2, 40), K, int(r, 1, 90)]);
	}
	return fixed;
}

describe.each(FORMATS)('linear, %s weights', (format) => {
	it.skipIf(skipFormat(format))('matmul (prefill) over random shapes', async () => {
		for (const [i, [M, K, N]] of shapes(format, 1).entries()) await check(ctx, format, M, K, N, 100 + i);
	});

	it.skipIf(skipFormat(format))('model-sized layer (SmolLM2 MLP up: 576 -> 1536), decode and prefill', async () => {
		await check(ctx, format, 1, 576, 1536, 11);
		await check(ctx, format, 7, 576, 1536, 12);
	});

	it.skipIf(skipFormat(format))('matmul with bias', async () => {
		await check(ctx, format, 5, 64, 19, 7, { bias: true, variant: 'matmul' });
	});

	const variants: MatvecVariant[] = ['rows', 'workgroup', 'subgroup'];
	for (const variant of variants) {
		const skip = skipFormat(format) || (variant === 'subgroup' && !ctx.features.subgroups);
		it.skipIf(skip)(`matvec (decode), ${variant} variant`, async () => {
			const q = format === 'q8' || format === 'q4';
			const ks = q ? [32, 64, 160, 512] : [1, 3, 7, 8, 33, 64, 130, 512];
			for (const [i, K] of ks.entries()) {
				for (const N of [1, 3, 6, 67]) await check(ctx, format, 1, K, N, 1000 * i + N, { variant, bias: N === 3 });
			}
		});
	}

	it.skipIf(skipFormat(format))('weights split into parts along N', async () => {
		const K = 64;
		const N = 37;
		const rowBytes = format === 'f32' ? K * 4 : format === 'f16' ? K * 2 : format === 'q8' ? 72 : 40;
		const max = rowBytes * 5; // 5 rows per part -> 8 parts
		expect(await check(ctx, format, 1, K, N, 5, { maxPartBytes: max })).toBe(8);
		expect(await check(ctx, format, 6, K, N, 6, { maxPartBytes: max })).toBe(8);
		for (const variant of ['workgroup', 'subgroup'] as const) {
			if (variant === 'subgroup' && !ctx.features.subgroups) continue;
			await check(ctx, format, 1, K, N, 8, { maxPartBytes: max, variant });
		}
	});
});

/**
 * The prefill epilogues: 'add' (residual stream), 'swiglu' ((gate, up) row pairs) and writing at
 * a column offset of a wider output, row by row against fusedMatvecRef (no norm). Tolerance:
 * 2e-4 + 2e-4·|ref| (exp in SiLU on top of f32 accumulation).
 */
describe.each(FORMATS)('matmul epilogues, %s weights', (format) => {
	it.skipIf(skipFormat(format))('add and swiglu, at a column offset, split into parts', async () => {
		const q = format === 'q8' || format === 'q4';
		const shapes: [number, number, number][] = q ? [[3, 32, 6], [5, 64, 34]] : [[1, 3, 2], [3, 7, 6], [6, 33, 18], [5, 64, 34]];
		for (const epilogue of ['add', 'swiglu'] as MatvecEpilogue[]) {
			for (const [i, [M, K, N]] of shapes.entries()) {
				const r = rng(300 + i);
				const x = normal(r, M * K);
				const rowBytes = format === 'f32' ? K * 4 : format === 'f16' ? K * 2 : format === 'q8' ? (K / 32) * 36 : (K / 32) * 20;
				const maxPart = i === shapes.length - 1 ? rowBytes * 4 : undefined; // parts of 4 rows
				const { weight, dense } = makeWeight(ctx, format, normal(r, N * K, 0.5), N, K, maxPart);
				const b = normal(r, N);
				const produced = epilogue === 'swiglu' ? N / 2 : N;
				const L = produced + 3;
				const y0 = normal(r, M * L);
				const out = tensorFrom(ctx, y0, [M, L]);
				matmul(ctx, { x: tensorFrom(ctx, x, [M, K]), w: weight, bias: tensorFrom(ctx, b, [N]), out, outOffset: 2, epilogue });
				const want = Float32Array.from(y0);
				for (let m = 0; m < M; m++) {
					const row = want.subarray(m * L, (m + 1) * L);
					fusedMatvecRef(x.subarray(m * K, (m + 1) * K), dense, K, N, { bias: b, epilogue, out: row, outOffset: 2 });
				}
				expectClose(await readF32(ctx, out.buffer, M * L), want, { atol: 2e-4, rtol: 2e-4 }, `${format} ${epilogue} M=${M} K=${K} N=${N}`);
			}
		}
	});
});

describe('linear input checks', () => {
	it('splits by the context limit and rejects parts over it', async () => {
		const small = await testContext({ limitOverrides: { maxStorageBufferBindingSize: 1024 } });
		try {
			// 20 rows of 32 f32 = 128 bytes each -> parts of 8 rows.
			expect(await check(small, 'f32', 2, 32, 20, 9)).toBe(3);
			const { weight } = makeWeight(ctx, 'f32', new Float32Array(64 * 20), 20, 64); // one 5 KiB part
			const args = { x: tensorFrom(small, new Float32Array(64), [1, 64]), w: weight, out: emptyTensor(small, [1, 20]) };
			expect(() => linear(small, args)).toThrow(/maxStorageBufferBindingSize/);
		} finally {
			small.destroy();
		}
	});

	it('rejects mismatched shapes with a typed error', () => {
		const { weight } = makeWeight(ctx, 'f32', new Float32Array(8 * 4), 8, 4);
		const x = tensorFrom(ctx, new Float32Array(10), [2, 5]);
		const out = emptyTensor(ctx, [2, 8]);
		try {
			linear(ctx, { x, w: weight, out });
			expect.unreachable();
		} catch (e) {
			expect(e).toBeInstanceOf(GpuError);
			expect((e as GpuError).code).toBe('invalid-input');
		}
	});
});
