/**
 * The CPU references' backward passes proven by central finite differences in float64: for a
 * random projection L = Σ out ⊙ R of each op's output, every analytic input gradient must match
 * (L(x + h) − L(x − h)) / 2h within 1e-6 relative (h = 1e-5). Pure CPU, tiny shapes.
 */
import { describe, it } from 'vitest';
import { fdCheck } from './testing/fd.js';
import { normal, rng } from '../testing/rng.js';
import { ropeInvFreq } from '../ops/rope/rope.ref.js';
import {
	attentionBackwardRef,
	attentionTrainRef,
	crossEntropyRef,
	embeddingBackwardRef,
	linearBackwardRef,
	linearFwdRef,
	loraBackwardRef,
	loraFwdRef,
	rmsnormBackwardRef,
	rmsnormFwdRef,
	ropeTrainRef,
	siluMulBackwardRef,
	siluMulFwdRef,
	softmaxBackwardRef,
	softmaxFwdRef
} from './train-ops.ref.js';
import { dpoLossRef, rewardLossRef } from './preference.ref.js';

const f64 = (a: Float32Array) => Float64Array.from(a);
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
	let s = 0;
	for (let i = 0; i < a.length; i++) s += a[i] * b[i];
	return s;
};

describe('finite-difference checks of the reference backward passes', () => {
	const r = rng(7);

	it('linear, embedding', () => {
		const [M, K, N] = [3, 5, 4];
		const [x, w, R] = [f64(normal(r, M * K)), f64(normal(r, N * K)), f64(normal(r, M * N))];
		const g = linearBackwardRef(R, x, w, M, K, N);
		fdCheck((v) => dot(linearFwdRef(v, w, M, K, N), R), x, g.dx, 'linear dx');
		fdCheck((v) => dot(linearFwdRef(x, v, M, K, N), R), w, g.dw, 'linear dw');
		const [V, D] = [4, 3];
		const ids = [2, 0, 2, 3, 2];
		const table = f64(normal(r, V * D));
		const Re = f64(normal(r, ids.length * D));
		const lookup = (tb: Float64Array) => Float64Array.from({ length: ids.length * D }, (_, i) => tb[ids[Math.floor(i / D)] * D + (i % D)]);
		fdCheck((v) => dot(lookup(v), Re), table, embeddingBackwardRef(ids, Re, V, D), 'embedding');
	});

	it('RMSNorm, RoPE (both layouts, partial rotary), SiLU-mul, softmax', () => {
		const [Rn, D, eps] = [3, 5, 1e-5];
		const [x, w, R] = [f64(normal(r, Rn * D)), f64(normal(r, D)), f64(normal(r, Rn * D))];
		const g = rmsnormBackwardRef(x, w, R, Rn, D, eps);
		fdCheck((v) => dot(rmsnormFwdRef(v, w, Rn, D, eps), R), x, g.dx, 'rmsnorm dx');
		fdCheck((v) => dot(rmsnormFwdRef(x, v, Rn, D, eps), R), w, g.dw, 'rmsnorm dw');
		for (const layout of ['half', 'pairs'] as const) {
			const pos = [0, 1, 2, 0, 1];
			const [Hh, Dh, Rr] = [2, 6, 4];
			const inv = ropeInvFreq(Rr, 100);
			const xr = f64(normal(r, pos.length * Hh * Dh));
			const Rp = f64(normal(r, xr.length));
			const back = ropeTrainRef(Rp, pos, Hh, Dh, Rr, layout, inv, -1);
			fdCheck((v) => dot(ropeTrainRef(v, pos, Hh, Dh, Rr, layout, inv), Rp), xr, back, `rope ${layout}`);
		}
		const [gg, u, Rs] = [f64(normal(r, 6, 2)), f64(normal(r, 6)), f64(normal(r, 6))];
		const sg = siluMulBackwardRef(gg, u, Rs);
		fdCheck((v) => dot(siluMulFwdRef(v, u), Rs), gg, sg.dg, 'silu-mul dgate');
		fdCheck((v) => dot(siluMulFwdRef(gg, v), Rs), u, sg.du, 'silu-mul dup');
		const [xs, Rx] = [f64(normal(r, 8)), f64(normal(r, 8))];
		fdCheck((v) => dot(softmaxFwdRef(v, 2, 4), Rx), xs, softmaxBackwardRef(softmaxFwdRef(xs, 2, 4), Rx, 2, 4), 'softmax');
	});

	it('causal GQA attention over packed sequences', () => {
		const shape = { pos: [0, 1, 2, 0, 1], Hq: 4, Hkv: 2, Dh: 3 };
		const T = shape.pos.length;
		const [q, k, v] = [f64(normal(r, T * 4 * 3)), f64(normal(r, T * 2 * 3)), f64(normal(r, T * 2 * 3))];
		const R = f64(normal(r, T * 4 * 3));
		const g = attentionBackwardRef(q, k, v, R, shape);
		fdCheck((x) => dot(attentionTrainRef(x, k, v, shape).out, R), q, g.dq, 'attention dq');
		fdCheck((x) => dot(attentionTrainRef(q, x, v, shape).out, R), k, g.dk, 'attention dk');
		fdCheck((x) => dot(attentionTrainRef(q, k, x, shape).out, R), v, g.dv, 'attention dv');
	});

	it('masked cross-entropy and LoRA', () => {
		const [T, V] = [4, 5];
		const logits = f64(normal(r, T * V, 2));
		const targets = [1, 4, 0, 2];
		const weights = [0.5, 0, 0.5, 0];
		const ce = crossEntropyRef(logits, targets, weights, T, V);
		fdCheck((x) => crossEntropyRef(x, targets, weights, T, V).loss, logits, ce.dlogits, 'cross-entropy');
		const [M, K, N, rk, s] = [3, 4, 5, 2, 1.5];
		const [x, W, A, B, R] = [f64(normal(r, M * K)), f64(normal(r, N * K)), f64(normal(r, rk * K)), f64(normal(r, N * rk)), f64(normal(r, M * N))];
		const g = loraBackwardRef(x, W, A, B, R, M, K, N, rk, s);
		fdCheck((v) => dot(loraFwdRef(v, W, A, B, M, K, N, rk, s), R), x, g.dx, 'lora dx');
		fdCheck((v) => dot(loraFwdRef(x, W, v, B, M, K, N, rk, s), R), A, g.dA, 'lora dA');
		fdCheck((v) => dot(loraFwdRef(x, W, A, v, M, K, N, rk, s), R), B, g.dB, 'lora dB');
	});

	it('reward-model and DPO losses', () => {
		const [c, rj, l2] = [f64(normal(r, 3, 2)), f64(normal(r, 3, 2)), 0.01];
		const g = rewardLossRef(c, rj, l2);
		fdCheck((v) => rewardLossRef(v, rj, l2).loss, c, g.dChosen, 'reward chosen');
		fdCheck((v) => rewardLossRef(c, v, l2).loss, rj, g.dRejected, 'reward rejected');
		const [pc, pr, qc, qr] = [f64(normal(r, 3, 5)), f64(normal(r, 3, 5)), f64(normal(r, 3, 5)), f64(normal(r, 3, 5))];
		const d = dpoLossRef(pc, pr, qc, qr, 0.5);
		fdCheck((v) => dpoLossRef(v, pr, qc, qr, 0.5).loss, pc, d.dChosen, 'dpo chosen');
		fdCheck((v) => dpoLossRef(pc, v, qc, qr, 0.5).loss, pr, d.dRejected, 'dpo rejected');
	});
});
