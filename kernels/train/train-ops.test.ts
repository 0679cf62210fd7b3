/**
 * Training ops on the GPU against their float64 references (train-ops.ref.ts), over random
 * shapes including small and odd dims. Tolerances are |gpu − ref| <= atol + rtol·|ref|:
 * 1e-4 + 1e-4 for sums of up to a few hundred f32 products; LoRA/quantized bases compare with
 * the dequantized weight the GPU sees, so they keep the same tolerance (2e-3 for f16 products).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { testContext } from '../testing/context.js';
import { int, normal, rng, uniform } from '../testing/rng.js';
import { expectClose } from '../testing/compare.js';
import { makeWeight } from '../testing/weights.js';
import { emptyTensor, tensorFrom } from '../gpu/tensor.js';
import { readF32 } from '../gpu/buffers.js';
import { withBatch } from '../gpu/batch.js';
import { createRopeTable, ropeInvFreq } from '../ops/rope/rope.js';
import {
	adamw,
	attentionScratchSize,
	attentionTrain,
	attentionTrainGrad,
	crossEntropy,
	embeddingGrad,
	fill,
	gradNormPartials,
	gradNormSq,
	linearGradW,
	linearGradX,
	rmsnormGrad,
	ropeTrain,
	siluMulGrad,
	softmaxGrad,
	u32Tensor
} from './train-ops.js';
import {
	adamwRef,
	attentionBackwardRef,
	attentionTrainRef,
	clipScale,
	crossEntropyRef,
	embeddingBackwardRef,
	gradNormRef,
	linearBackwardRef,
	loraBackwardRef,
	loraFwdRef,
	rmsnormBackwardRef,
	ropeTrainRef,
	siluMulBackwardRef,
	softmaxBackwardRef,
	softmaxFwdRef,
	type AdamWOptions
} from './train-ops.ref.js';
import { denseParam, loraLinear, loraLinearGrad } from './lora.js';

const TOL = { atol: 1e-4, rtol: 1e-4 };
const ctx = await testContext();
afterAll(() => ctx.destroy());

const t = (x: Float32Array, shape: number[]) => tensorFrom(ctx, x, shape);
const read = (x: { buffer: GPUBuffer; shape: readonly number[] }) => readF32(ctx, x.buffer, x.shape.reduce((a, b) => a * b, 1));

/** Random positions of `lens` sequences flattened. */
function positions(lens: number[]): number[] {
	return lens.flatMap((n) => Array.from({ length: n }, (_, i) => i));
}

describe('linear backward', () => {
	it('dW = dYᵀ·X and dX = dY·W (f32) match the reference, with scale and accumulate', async () => {
		const r = rng(11);
		for (const [M, K, N] of [[1, 1, 1], [3, 5, 7], [6, 13, 3], [9, 32, 17], [5, 64, 40], [int(r, 1, 20), int(r, 1, 40), int(r, 1, 40)]]) {
			const x = normal(r, M * K);
			const w = normal(r, N * K);
			const dy = normal(r, M * N);
			const want = linearBackwardRef(dy, x, w, M, K, N);
			const g0 = normal(r, N * K);
			const grad = t(g0, [N, K]);
			linearGradW(ctx, { dy: t(dy, [M, N]), x: t(x, [M, K]), grad, scale: 0.5, accumulate: true });
			expectClose(await read(grad), want.dw.map((v, i) => g0[i] + 0.5 * v), TOL, `dW M=${M} K=${K} N=${N}`);
			const dx = emptyTensor(ctx, [M, K]);
			linearGradX(ctx, { dy: t(dy, [M, N]), w: makeWeight(ctx, 'f32', w, N, K).weight, out: dx });
			expectClose(await read(dx), want.dx, TOL, `dX M=${M} K=${K} N=${N}`);
		}
	});

	it.each(['f16', 'q8', 'q4'] as const)('dX through a %s weight (split in parts) matches the dequantized reference', async (format) => {
		if (format === 'f16' && !ctx.features.f16) return;
		const r = rng(12);
		for (const [M, K, N] of [[3, 32, 5], [7, 64, 19], [2, 96, 33]]) {
			const w = normal(r, N * K);
			const dy = normal(r, M * N);
			const tw = makeWeight(ctx, format, w, N, K, Math.ceil(N / 3) * (format === 'q8' ? (K / 32) * 36 : format === 'q4' ? (K / 32) * 20 : K * 2));
			expect(tw.weight.parts.length).toBeGreaterThan(1);
			const want = linearBackwardRef(dy, new Float32Array(M * K), tw.dense, M, K, N).dx;
			const dx = emptyTensor(ctx, [M, K]);
			linearGradX(ctx, { dy: t(dy, [M, N]), w: tw.weight, out: dx });
			expectClose(await read(dx), want, format === 'f16' ? { atol: 2e-3, rtol: 2e-3 } : TOL, `${format} M=${M} K=${K} N=${N}`);
		}
	});
});

describe('elementwise and row backward ops', () => {
	it('embedding gradient scatter-adds repeated ids without atomics', async () => {
		const r = rng(13);
		for (const [T, V, D] of [[1, 3, 1], [9, 5, 7], [20, 11, 13], [33, 40, 64]]) {
			const ids = Array.from({ length: T }, () => int(r, 0, V - 1));
			const dy = normal(r, T * D);
			const g0 = normal(r, V * D);
			const grad = t(g0, [V, D]);
			embeddingGrad(ctx, { ids, dy: t(dy, [T, D]), grad });
			expectClose(await read(grad), embeddingBackwardRef(ids, dy, V, D).map((v, i) => v + g0[i]), TOL, `T=${T} V=${V} D=${D}`);
		}
	});

	it('RMSNorm dx (overwrite and accumulate) and dweight', async () => {
		const r = rng(14);
		for (const [R, D] of [[1, 1], [3, 5], [4, 7], [6, 33], [5, 130]]) {
			const x = normal(r, R * D, 2);
			const w = normal(r, D);
			const dy = normal(r, R * D);
			const eps = 1e-5;
			const want = rmsnormBackwardRef(x, w, dy, R, D, eps);
			const dx0 = normal(r, R * D);
			const dx = t(dx0, [R, D]);
			const dw = emptyTensor(ctx, [D]);
			rmsnormGrad(ctx, { x: t(x, [R, D]), weight: t(w, [D]), dy: t(dy, [R, D]), dx, dweight: dw, eps, accumulate: true });
			expectClose(await read(dx), want.dx.map((v, i) => v + dx0[i]), TOL, `dx R=${R} D=${D}`);
			expectClose(await read(dw), want.dw, TOL, `dw R=${R} D=${D}`);
		}
	});

	it.each(['half', 'pairs'] as const)('RoPE forward and backward with per-token positions, partial rotary (%s)', async (layout) => {
		const r = rng(15);
		for (const [lens, H, Dh, R] of [[[3, 2], 2, 6, 4], [[5], 3, 8, 8], [[4, 1, 6], 2, 10, 6]] as [number[], number, number, number][]) {
			const pos = positions(lens);
			const T = pos.length;
			const inv = ropeInvFreq(R, 10000);
			const table = createRopeTable(ctx, { rotaryDim: R, theta: 10000, maxPositions: 16 });
			const x = normal(r, T * H * Dh);
			for (const sign of [1, -1] as const) {
				const xt = t(x, [T, H, Dh]);
				ropeTrain(ctx, { x: xt, table, pos: u32Tensor(ctx, pos), layout, sign });
				expectClose(await read(xt), ropeTrainRef(x, pos, H, Dh, R, layout, inv, sign), TOL, `sign ${sign} T=${T}`);
			}
		}
	});

	it('SiLU-mul backward and softmax backward', async () => {
		const r = rng(16);
		for (const n of [1, 7, 100]) {
			const [g, u, dh] = [normal(r, n, 3), normal(r, n), normal(r, n)];
			const [dg, du] = [emptyTensor(ctx, [n]), emptyTensor(ctx, [n])];
			siluMulGrad(ctx, { gate: t(g, [n]), up: t(u, [n]), dh: t(dh, [n]), dgate: dg, dup: du });
			const want = siluMulBackwardRef(g, u, dh);
			expectClose(await read(dg), want.dg, TOL, `dg n=${n}`);
			expectClose(await read(du), want.du, TOL, `du n=${n}`);
		}
		for (const [R, N] of [[1, 1], [3, 7], [5, 129]]) {
			const y = Float32Array.from(softmaxFwdRef(normal(r, R * N, 2), R, N));
			const dy = normal(r, R * N);
			const dx = emptyTensor(ctx, [R, N]);
			softmaxGrad(ctx, { y: t(y, [R, N]), dy: t(dy, [R, N]), dx });
			expectClose(await read(dx), softmaxBackwardRef(y, dy, R, N), TOL, `softmax R=${R} N=${N}`);
		}
	});

	it('masked cross-entropy: mean loss over trained rows and the logits gradient', async () => {
		const r = rng(17);
		for (const [T, V] of [[1, 2], [5, 7], [9, 300]]) {
			const logits = normal(r, T * V, 4);
			logits[0] += 100; // a large logit: max-subtraction keeps it finite
			const targets = Array.from({ length: T }, () => int(r, 0, V - 1));
			const mask: number[] = Array.from({ length: T }, (_, i) => (i === 0 || r() < 0.6 ? 1 : 0));
			const count = mask.reduce((a, b) => a + b, 0);
			const weights = Float32Array.from(mask, (m) => m / count);
			const lt = t(logits, [T, V]);
			const loss = emptyTensor(ctx, [T]);
			crossEntropy(ctx, { logits: lt, targets: u32Tensor(ctx, targets), weights: t(weights, [T]), loss });
			const want = crossEntropyRef(logits, targets, weights, T, V);
			const rows = await read(loss);
			expect(rows.reduce((a, b) => a + b, 0)).toBeCloseTo(want.loss, 4);
			expectClose(await read(lt), want.dlogits, TOL, `T=${T} V=${V}`);
		}
	});
});

describe('training attention', () => {
	it('forward and dQ/dK/dV over packed sequences with GQA', async () => {
		const r = rng(18);
		for (const [lens, Hq, Hkv, Dh] of [[[1], 1, 1, 1], [[4, 3], 4, 2, 5], [[6], 3, 1, 8], [[2, 7, 5], 4, 4, 3]] as [number[], number, number, number][]) {
			const pos = positions(lens);
			const T = pos.length;
			const W = Math.max(...lens);
			const [q, k, v, dout] = [normal(r, T * Hq * Dh), normal(r, T * Hkv * Dh), normal(r, T * Hkv * Dh), normal(r, T * Hq * Dh)];
			const shape = { pos, Hq, Hkv, Dh };
			const sh = {
				pos: u32Tensor(ctx, pos),
				maxLen: W,
				scratch: emptyTensor(ctx, [attentionScratchSize(T, Hq, W)]),
				lse: emptyTensor(ctx, [2 * T * Hq])
			};
			const [qt, kt, vt] = [t(q, [T, Hq, Dh]), t(k, [T, Hkv, Dh]), t(v, [T, Hkv, Dh])];
			const out = emptyTensor(ctx, [T, Hq, Dh]);
			attentionTrain(ctx, { ...sh, q: qt, k: kt, v: vt, out });
			const fwd = attentionTrainRef(q, k, v, shape);
			expectClose(await read(out), fwd.out, TOL, `out lens=${lens}`);
			const [dq, dk, dv] = [emptyTensor(ctx, [T, Hq, Dh]), emptyTensor(ctx, [T, Hkv, Dh]), emptyTensor(ctx, [T, Hkv, Dh])];
			attentionTrainGrad(ctx, { ...sh, q: qt, k: kt, v: vt, out, dout: t(dout, [T, Hq, Dh]), dq, dk, dv });
			const want = attentionBackwardRef(q, k, v, dout, shape);
			expectClose(await read(dq), want.dq, TOL, `dq lens=${lens}`);
			expectClose(await read(dk), want.dk, TOL, `dk lens=${lens}`);
			expectClose(await read(dv), want.dv, TOL, `dv lens=${lens}`);
		}
	});
});

describe('LoRA', () => {
	it.each(['f32', 'q8', 'q4'] as const)('forward and dA/dB/dX over a frozen %s base', async (format) => {
		const r = rng(19);
		for (const [M, K, N, rank] of [[3, 32, 5, 2], [5, 64, 9, 3]]) {
			const s = 2 / rank;
			const tw = makeWeight(ctx, format, normal(r, N * K, 0.2), N, K);
			const [x, A, B, dy] = [normal(r, M * K), normal(r, rank * K, 0.2), normal(r, N * rank, 0.2), normal(r, M * N)];
			const a = denseParam(t(A, [rank, K]));
			const b = denseParam(t(B, [N, rank]));
			const xt = t(x, [M, K]);
			const ax = emptyTensor(ctx, [M, rank]);
			const out = emptyTensor(ctx, [M, N]);
			loraLinear(ctx, { x: xt, w: tw.weight, a, b, scale: s, ax, tmp: emptyTensor(ctx, [M, N]), out });
			expectClose(await read(out), loraFwdRef(x, tw.dense, A, B, M, K, N, rank, s), TOL, `fwd ${format}`);
			const [da, db, dx] = [emptyTensor(ctx, [rank, K]), emptyTensor(ctx, [N, rank]), emptyTensor(ctx, [M, K])];
			loraLinearGrad(ctx, { x: xt, w: tw.weight, a, b, scale: s, ax, dy: t(dy, [M, N]), dax: emptyTensor(ctx, [M, rank]), da, db, dx });
			const want = loraBackwardRef(x, tw.dense, A, B, dy, M, K, N, rank, s);
			expectClose(await read(da), want.dA, TOL, `dA ${format}`);
			expectClose(await read(db), want.dB, TOL, `dB ${format}`);
			expectClose(await read(dx), want.dx, TOL, `dx ${format}`);
		}
	});
});

describe('optimizer', () => {
	it('global gradient norm (GPU reduction) and clipped AdamW over several steps', async () => {
		const r = rng(20);
		const sizes = [1, 7, 300, 5000];
		const grads = sizes.map((n) => normal(r, n));
		const params = sizes.map((n) => uniform(r, n));
		const o: AdamWOptions = { lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, clip: 5 };
		const gt = grads.map((g) => t(g, [g.length]));
		const pt = params.map((p) => t(p, [p.length]));
		const mt = sizes.map((n) => emptyTensor(ctx, [n]));
		const vt = sizes.map((n) => emptyTensor(ctx, [n]));
		const partials = emptyTensor(ctx, [gradNormPartials(sizes.length)]);
		const normSq = emptyTensor(ctx, [1]);
		const ref = params.map((p) => Float64Array.from(p));
		const mr = sizes.map((n) => new Float64Array(n));
		const vr = sizes.map((n) => new Float64Array(n));
		for (let step = 1; step <= 3; step++) {
			withBatch(ctx, undefined, (b) => {
				gradNormSq(ctx, { grads: gt, partials, out: normSq }, b);
				sizes.forEach((_, i) => adamw(ctx, { param: pt[i], grad: gt[i], m: mt[i], v: vt[i], normSq, step, opts: o }, b));
			});
			const norm = gradNormRef(grads);
			expect(Math.sqrt((await read(normSq))[0])).toBeCloseTo(norm, 3);
			sizes.forEach((_, i) => adamwRef(ref[i], grads[i], mr[i], vr[i], step, o, clipScale(norm, o.clip)));
		}
		for (let i = 0; i < sizes.length; i++) expectClose(await read(pt[i]), ref[i], { atol: 1e-5, rtol: 1e-5 }, `param ${i}`);
		const z = t(normal(r, 9), [9]);
		fill(ctx, { out: z });
		expect([...(await read(z))]).toEqual(new Array(9).fill(0));
	});
});
