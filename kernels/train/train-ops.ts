/**
 * Training ops on the GPU: backward passes of the Llama forward ops, masked cross-entropy,
 * the attention forward that keeps what its backward needs, and AdamW with global-norm
 * clipping. CPU references: train-ops.ref.ts. Every op takes the context, typed arguments and
 * an optional Batch, like the inference ops.
 *
 * Precision: activations, gradients and trainable parameters are f32; a frozen base weight
 * may be f16 (needs `shader-f16`), q8 or q4 and is dequantized on the fly (f32 accumulate).
 */
import type { GpuContext } from '../gpu/context.js';
import { grid, Params, withBatch, type Batch, type Binding } from '../gpu/batch.js';
import { uploadBuffer } from '../gpu/buffers.js';
import { check, checkBindingSize, requireFeature } from '../gpu/errors.js';
import { checkTensor, numel, QUANT_BLOCK, type DeviceTensor, type Weight } from '../gpu/tensor.js';
import type { RopeLayout, RopeTable } from '../ops/rope/rope.js';
import { useVec4 } from '../quant/weight-access.wgsl.js';
import type { AdamWOptions } from './train-ops.ref.js';
import {
	ADAMW_WGSL,
	ATT_DELTA_WGSL,
	ATT_DKV_WGSL,
	ATT_DQ_WGSL,
	ATT_DS_WGSL,
	ATT_OUT_WGSL,
	ATT_SCORES_WGSL,
	ATT_SOFTMAX_WGSL,
	AXPY_WGSL,
	CROSS_ENTROPY_WGSL,
	EMBED_GRAD_WGSL,
	FILL_WGSL,
	GRAD_W_WGSL,
	renderGradX,
	RMSNORM_GRAD_W_WGSL,
	RMSNORM_GRAD_X_WGSL,
	ROPE_TRAIN_WGSL,
	SCALE_ROWS_WGSL,
	SILU_MUL_GRAD_WGSL,
	SOFTMAX_GRAD_WGSL,
	SUM_WGSL,
	SUMSQ_WGSL
} from './train-ops.wgsl.js';

export type { AdamWOptions } from './train-ops.ref.js';

const WG = 64;

function run1d(ctx: GpuContext, b: Batch, code: string, params: Uint32Array, buffers: Binding[], n: number): void {
	b.dispatch(ctx.pipelines.get(code, { WG }), params, buffers, grid(ctx, Math.ceil(n / WG)));
}

function runRows(ctx: GpuContext, b: Batch, code: string, params: Uint32Array, buffers: Binding[], rows: number): void {
	b.dispatch(ctx.pipelines.get(code, { WG }), params, buffers, grid(ctx, rows));
}

function f32(t: DeviceTensor, what: string): number {
	check(t.dtype === 'f32', `${what}: must be f32, got ${t.dtype}`);
	const n = numel(t.shape);
	check(t.buffer.size >= n * 4, `${what}: buffer too small for [${t.shape}]`);
	return n;
}

/** Sets every element of an f32 tensor to `value` (default 0). */
export function fill(ctx: GpuContext, a: { out: DeviceTensor; value?: number }, batch?: Batch): void {
	const n = f32(a.out, 'fill: out');
	withBatch(ctx, batch, (b) => run1d(ctx, b, FILL_WGSL, new Params().u32(n).f32(a.value ?? 0).data(), [a.out.buffer], n));
}

/** y += alpha · x (same element count). */
export function axpy(ctx: GpuContext, a: { x: DeviceTensor; y: DeviceTensor; alpha: number }, batch?: Batch): void {
	const n = f32(a.x, 'axpy: x');
	check(f32(a.y, 'axpy: y') === n, `axpy: x [${a.x.shape}] and y [${a.y.shape}] differ in size`);
	check(a.x.buffer !== a.y.buffer, 'axpy: x must not alias y');
	withBatch(ctx, batch, (b) => run1d(ctx, b, AXPY_WGSL, new Params().u32(n).f32(a.alpha).data(), [a.x.buffer, a.y.buffer], n));
}

export interface LinearGradWArgs {
	/** [M, N] gradient of the layer's output. */
	dy: DeviceTensor;
	/** [M, K] the layer's input. */
	x: DeviceTensor;
	/** [N, K] f32 weight gradient. */
	grad: DeviceTensor;
	scale?: number;
	/** Add into grad instead of overwriting it. */
	accumulate?: boolean;
}

/** Weight gradient of y = x·wᵀ: grad (+)= scale · dyᵀ·x. */
export function linearGradW(ctx: GpuContext, a: LinearGradWArgs, batch?: Batch): void {
	check(a.dy.shape.length === 2 && a.x.shape.length === 2, 'linearGradW: dy and x must be 2-D');
	const [M, N] = a.dy.shape;
	const K = a.x.shape[1];
	checkTensor(a.dy, 'f32', [M, N], 'linearGradW: dy');
	checkTensor(a.x, 'f32', [M, K], 'linearGradW: x');
	checkTensor(a.grad, 'f32', [N, K], 'linearGradW: grad');
	const limit = ctx.limits.maxStorageBufferBindingSize;
	checkBindingSize(N * K * 4, limit, 'linearGradW: grad');
	checkBindingSize(M * Math.max(N, K) * 4, limit, 'linearGradW: dy/x');
	const params = new Params().u32(M).u32(N).u32(K).u32(a.accumulate ? 1 : 0).f32(a.scale ?? 1).data();
	const tiles = Math.ceil(N / 4) * Math.ceil(K / 4);
	withBatch(ctx, batch, (b) => run1d(ctx, b, GRAD_W_WGSL, params, [a.dy.buffer, a.x.buffer, a.grad.buffer], tiles));
}

export interface LinearGradXArgs {
	/** [M, N] gradient of the layer's output. */
	dy: DeviceTensor;
	/** [N, K] weight in any format (f16 needs shader-f16), possibly split along N. */
	w: Weight;
	/** [M, K] f32 input gradient. */
	out: DeviceTensor;
	scale?: number;
	accumulate?: boolean;
}

/** Input gradient of y = x·wᵀ: out (+)= scale · dy·w, dequantizing w on the fly. */
export function linearGradX(ctx: GpuContext, a: LinearGradXArgs, batch?: Batch): void {
	const { w } = a;
	check(a.dy.shape.length === 2, `linearGradX: dy must be [M, N], got [${a.dy.shape}]`);
	const M = a.dy.shape[0];
	const K = w.cols;
	checkTensor(a.dy, 'f32', [M, w.rows], 'linearGradX: dy');
	checkTensor(a.out, 'f32', [M, K], 'linearGradX: out');
	check(a.out.buffer !== a.dy.buffer, 'linearGradX: out must not alias dy');
	if (w.format === 'f16') requireFeature(ctx.features.f16, 'shader-f16', 'linearGradX with f16 weights');
	if (w.format === 'q8' || w.format === 'q4') check(K % QUANT_BLOCK === 0, `linearGradX: ${w.format} weights need K % 32 == 0`);
	const limit = ctx.limits.maxStorageBufferBindingSize;
	checkBindingSize(M * w.rows * 4, limit, 'linearGradX: dy');
	checkBindingSize(M * K * 4, limit, 'linearGradX: out');
	const vec4 = useVec4(w.format, K);
	const pipeline = ctx.pipelines.variant(`train-gradx|${w.format}|${vec4}|${WG}`, () => renderGradX(w.format, vec4), { WG });
	const tiles = Math.ceil(M / 4) * Math.ceil(K / 4);
	withBatch(ctx, batch, (b) => {
		w.parts.forEach((p, i) => {
			const acc = a.accumulate || i > 0 ? 1 : 0;
			const params = new Params().u32(M).u32(K).u32(p.rows).u32(p.rowStart).u32(w.rows).u32(acc).f32(a.scale ?? 1).data();
			b.dispatch(pipeline, params, [a.dy.buffer, p.buffer, a.out.buffer], grid(ctx, Math.ceil(tiles / WG)));
		});
	});
}

/**
 * Gradient of an embedding table [V, D] (f32) for the host-known token ids: grad[id] += dy[t]
 * for every t with ids[t] = id. The ids are grouped on the host, so each (row, column) of the
 * gradient has one writer that loops over its tokens (no atomics).
 */
export function embeddingGrad(ctx: GpuContext, a: { ids: ArrayLike<number>; dy: DeviceTensor; grad: DeviceTensor }, batch?: Batch): void {
	const T = a.ids.length;
	check(a.grad.shape.length === 2, 'embeddingGrad: grad must be [V, D]');
	const [V, D] = a.grad.shape;
	checkTensor(a.dy, 'f32', [T, D], 'embeddingGrad: dy');
	checkTensor(a.grad, 'f32', [V, D], 'embeddingGrad: grad');
	const byRow = new Map<number, number[]>();
	for (let t = 0; t < T; t++) {
		const id = a.ids[t];
		check(Number.isInteger(id) && id >= 0 && id < V, `embeddingGrad: token id ${id} is outside [0, ${V})`);
		let l = byRow.get(id);
		if (!l) byRow.set(id, (l = []));
		l.push(t);
	}
	const U = byRow.size;
	const idx = new Uint32Array(2 * U + 1 + T);
	let u = 0;
	let off = 0;
	for (const [row, ts] of byRow) {
		idx[u] = row;
		idx[U + u] = off;
		for (const t of ts) idx[2 * U + 1 + off++] = t;
		u++;
	}
	idx[2 * U] = off;
	withBatch(ctx, batch, (b) => {
		const buf = b.temp(idx.byteLength, 'embedding-grad-index');
		ctx.device.queue.writeBuffer(buf, 0, idx);
		run1d(ctx, b, EMBED_GRAD_WGSL, new Params().u32(U).u32(D).data(), [a.dy.buffer, buf, a.grad.buffer], U * D);
	});
}

export interface RmsnormGradArgs {
	/** [R, D] the norm's input. */
	x: DeviceTensor;
	/** [D] f32 weight. */
	weight: DeviceTensor;
	/** [R, D] gradient of the norm's output. */
	dy: DeviceTensor;
	/** [R, D] gradient of x (overwritten, or added to with `accumulate`: the residual stream). */
	dx: DeviceTensor;
	/** [D] weight gradient, added to (full training); omit when the weight is frozen. */
	dweight?: DeviceTensor;
	eps: number;
	accumulate?: boolean;
}

/** RMSNorm backward: dx (and dweight). */
export function rmsnormGrad(ctx: GpuContext, a: RmsnormGradArgs, batch?: Batch): void {
	check(a.x.shape.length === 2, `rmsnormGrad: x must be [R, D], got [${a.x.shape}]`);
	const [R, D] = a.x.shape;
	checkTensor(a.x, 'f32', [R, D], 'rmsnormGrad: x');
	checkTensor(a.dy, 'f32', [R, D], 'rmsnormGrad: dy');
	checkTensor(a.dx, 'f32', [R, D], 'rmsnormGrad: dx');
	checkTensor(a.weight, 'f32', [D], 'rmsnormGrad: weight');
	if (a.dweight) checkTensor(a.dweight, 'f32', [D], 'rmsnormGrad: dweight');
	check(a.dx.buffer !== a.x.buffer && a.dx.buffer !== a.dy.buffer, 'rmsnormGrad: dx must not alias x or dy');
	withBatch(ctx, batch, (b) => {
		const rstd = b.scratch('train-rmsnorm-rstd', R * 4);
		const p = new Params().u32(R).u32(D).f32(a.eps).u32(a.accumulate ? 1 : 0).data();
		runRows(ctx, b, RMSNORM_GRAD_X_WGSL, p, [a.x.buffer, a.weight.buffer, a.dy.buffer, a.dx.buffer, rstd], R);
		if (a.dweight) run1d(ctx, b, RMSNORM_GRAD_W_WGSL, new Params().u32(R).u32(D).data(), [a.x.buffer, a.dy.buffer, rstd, a.dweight.buffer], D);
	});
}

export interface RopeTrainArgs {
	/** [T, H, Dh] f32, rotated in place. */
	x: DeviceTensor;
	table: RopeTable;
	/** [T] u32 position of each token in its own sequence. */
	pos: DeviceTensor;
	layout: RopeLayout;
	/** 1: forward; −1: backward (rotation by −angle, the transpose). */
	sign: 1 | -1;
}

/** RoPE with per-token positions, forward or backward, in place. */
export function ropeTrain(ctx: GpuContext, a: RopeTrainArgs, batch?: Batch): void {
	check(a.x.shape.length === 3, `ropeTrain: x must be [T, H, Dh], got [${a.x.shape}]`);
	const [T, H, D] = a.x.shape;
	const R = a.table.rotaryDim;
	checkTensor(a.x, 'f32', [T, H, D], 'ropeTrain: x');
	checkTensor(a.pos, 'u32', [T], 'ropeTrain: pos');
	check(R <= D, `ropeTrain: rotary dim ${R} exceeds head dim ${D}`);
	const params = new Params().u32(T).u32(H).u32(D).u32(R).u32(a.layout === 'pairs' ? 1 : 0).f32(a.sign).u32(a.table.maxPositions).data();
	withBatch(ctx, batch, (b) => run1d(ctx, b, ROPE_TRAIN_WGSL, params, [a.x.buffer, a.table.buffer, a.pos.buffer], T * H * (R / 2)));
}

/** SiLU-mul backward: dgate, dup from gate, up and the gradient of silu(gate)·up. */
export function siluMulGrad(
	ctx: GpuContext,
	a: { gate: DeviceTensor; up: DeviceTensor; dh: DeviceTensor; dgate: DeviceTensor; dup: DeviceTensor },
	batch?: Batch
): void {
	const n = f32(a.gate, 'siluMulGrad: gate');
	for (const [t, w] of [[a.up, 'up'], [a.dh, 'dh'], [a.dgate, 'dgate'], [a.dup, 'dup']] as const) {
		check(f32(t, `siluMulGrad: ${w}`) === n, `siluMulGrad: ${w} [${t.shape}] differs in size from gate [${a.gate.shape}]`);
	}
	withBatch(ctx, batch, (b) =>
		run1d(ctx, b, SILU_MUL_GRAD_WGSL, new Params().u32(n).data(), [a.gate.buffer, a.up.buffer, a.dh.buffer, a.dgate.buffer, a.dup.buffer], n)
	);
}

/** Softmax backward over rows of [R, N], from the softmax output y. */
export function softmaxGrad(ctx: GpuContext, a: { y: DeviceTensor; dy: DeviceTensor; dx: DeviceTensor }, batch?: Batch): void {
	check(a.y.shape.length === 2, `softmaxGrad: y must be [R, N], got [${a.y.shape}]`);
	const [R, N] = a.y.shape;
	for (const [t, w] of [[a.y, 'y'], [a.dy, 'dy'], [a.dx, 'dx']] as const) checkTensor(t, 'f32', [R, N], `softmaxGrad: ${w}`);
	withBatch(ctx, batch, (b) => runRows(ctx, b, SOFTMAX_GRAD_WGSL, new Params().u32(R).u32(N).data(), [a.y.buffer, a.dy.buffer, a.dx.buffer], R));
}

/** Shapes shared by the training attention's forward and backward. */
export interface AttentionTrainShape {
	/** [T] u32 position of each token in its sequence (a sequence starts where pos is 0). */
	pos: DeviceTensor;
	/** Longest sequence (W): the score scratch is [Hq, T, W]. */
	maxLen: number;
	/** [2·Hq·T·W] f32 scratch (see {@link attentionScratchSize}); reused by every layer. */
	scratch: DeviceTensor;
	/** [2·T·Hq] f32: the forward writes the log-sum-exps (first half), the backward uses both halves. */
	lse: DeviceTensor;
}

/** Elements of the attention scratch for T tokens, Hq heads, longest sequence W. */
export function attentionScratchSize(T: number, Hq: number, W: number): number {
	return 2 * Hq * T * W;
}

function attShape(ctx: GpuContext, q: DeviceTensor, k: DeviceTensor, s: AttentionTrainShape, op: string) {
	check(q.shape.length === 3 && k.shape.length === 3, `${op}: q and k must be [T, H, Dh]`);
	const [T, Hq, D] = q.shape;
	const Hkv = k.shape[1];
	check(Hkv >= 1 && Hq % Hkv === 0, `${op}: ${Hq} query heads are not a multiple of ${Hkv} kv heads`);
	checkTensor(k, 'f32', [T, Hkv, D], `${op}: k`);
	checkTensor(s.pos, 'u32', [T], `${op}: pos`);
	const W = s.maxLen;
	check(Number.isInteger(W) && W >= 1 && W <= T, `${op}: maxLen ${W} must be in [1, T=${T}]`);
	checkTensor(s.scratch, 'f32', [attentionScratchSize(T, Hq, W)], `${op}: scratch`);
	checkTensor(s.lse, 'f32', [2 * T * Hq], `${op}: lse`);
	checkBindingSize(attentionScratchSize(T, Hq, W) * 4, ctx.limits.maxStorageBufferBindingSize, `${op}: score scratch (use shorter sequences)`);
	return { T, Hq, Hkv, D, W };
}

/**
 * Causal GQA attention for training (no KV cache): out [T, Hq, Dh] from q [T, Hq, Dh] and
 * k, v [T, Hkv, Dh] (RoPE already applied), keeping each row's log-sum-exp for the backward.
 */
export function attentionTrain(
	ctx: GpuContext,
	a: AttentionTrainShape & { q: DeviceTensor; k: DeviceTensor; v: DeviceTensor; out: DeviceTensor },
	batch?: Batch
): void {
	const { T, Hq, Hkv, D, W } = attShape(ctx, a.q, a.k, a, 'attentionTrain');
	checkTensor(a.q, 'f32', [T, Hq, D], 'attentionTrain: q');
	checkTensor(a.v, 'f32', [T, Hkv, D], 'attentionTrain: v');
	checkTensor(a.out, 'f32', [T, Hq, D], 'attentionTrain: out');
	const scale = 1 / Math.sqrt(D);
	withBatch(ctx, batch, (b) => {
		const p = new Params().u32(T).u32(Hq).u32(Hkv).u32(D).u32(W).f32(scale).data();
		run1d(ctx, b, ATT_SCORES_WGSL, p, [a.q.buffer, a.k.buffer, a.pos.buffer, a.scratch.buffer], Hq * T * W);
		run1d(ctx, b, ATT_SOFTMAX_WGSL, new Params().u32(T).u32(Hq).u32(W).data(), [a.pos.buffer, a.scratch.buffer, a.lse.buffer], Hq * T);
		const po = new Params().u32(T).u32(Hq).u32(Hkv).u32(D).u32(W).data();
		run1d(ctx, b, ATT_OUT_WGSL, po, [a.scratch.buffer, a.v.buffer, a.pos.buffer, a.out.buffer], T * Hq * D);
	});
}

/** Backward of {@link attentionTrain}: dq, dk, dv (overwritten) from dout and the kept lse. */
export function attentionTrainGrad(
	ctx: GpuContext,
	a: AttentionTrainShape & {
		q: DeviceTensor;
		k: DeviceTensor;
		v: DeviceTensor;
		out: DeviceTensor;
		dout: DeviceTensor;
		dq: DeviceTensor;
		dk: DeviceTensor;
		dv: DeviceTensor;
	},
	batch?: Batch
): void {
	const { T, Hq, Hkv, D, W } = attShape(ctx, a.q, a.k, a, 'attentionTrainGrad');
	for (const [t, w] of [[a.q, 'q'], [a.out, 'out'], [a.dout, 'dout'], [a.dq, 'dq']] as const) checkTensor(t, 'f32', [T, Hq, D], `attentionTrainGrad: ${w}`);
	for (const [t, w] of [[a.v, 'v'], [a.dk, 'dk'], [a.dv, 'dv']] as const) checkTensor(t, 'f32', [T, Hkv, D], `attentionTrainGrad: ${w}`);
	const scale = 1 / Math.sqrt(D);
	withBatch(ctx, batch, (b) => {
		run1d(ctx, b, ATT_DELTA_WGSL, new Params().u32(T).u32(Hq).u32(D).data(), [a.dout.buffer, a.out.buffer, a.lse.buffer], T * Hq);
		const p = new Params().u32(T).u32(Hq).u32(Hkv).u32(D).u32(W).f32(scale).data();
		run1d(ctx, b, ATT_DS_WGSL, p, [a.q.buffer, a.k.buffer, a.v.buffer, a.dout.buffer, a.pos.buffer, a.lse.buffer, a.scratch.buffer], Hq * T * W);
		run1d(ctx, b, ATT_DQ_WGSL, p, [a.scratch.buffer, a.k.buffer, a.pos.buffer, a.dq.buffer], T * Hq * D);
		run1d(ctx, b, ATT_DKV_WGSL, p, [a.scratch.buffer, a.q.buffer, a.dout.buffer, a.pos.buffer, a.dk.buffer, a.dv.buffer], T * Hkv * D);
	});
}

export interface CrossEntropyArgs {
	/** [T, V] f32 logits, overwritten with their gradient. */
	logits: DeviceTensor;
	/** [T] u32 target ids. */
	targets: DeviceTensor;
	/** [T] f32 row weights (1/count on trained rows, 0 elsewhere). */
	weights: DeviceTensor;
	/** [T] f32 per-row weighted losses; their sum is the masked mean loss. */
	loss: DeviceTensor;
}

/** Masked cross-entropy and its logits gradient in one pass per row (max-subtracted lse). */
export function crossEntropy(ctx: GpuContext, a: CrossEntropyArgs, batch?: Batch): void {
	check(a.logits.shape.length === 2, `crossEntropy: logits must be [T, V], got [${a.logits.shape}]`);
	const [T, V] = a.logits.shape;
	checkTensor(a.logits, 'f32', [T, V], 'crossEntropy: logits');
	checkTensor(a.targets, 'u32', [T], 'crossEntropy: targets');
	checkTensor(a.weights, 'f32', [T], 'crossEntropy: weights');
	checkTensor(a.loss, 'f32', [T], 'crossEntropy: loss');
	checkBindingSize(T * V * 4, ctx.limits.maxStorageBufferBindingSize, 'crossEntropy: logits');
	withBatch(ctx, batch, (b) =>
		runRows(ctx, b, CROSS_ENTROPY_WGSL, new Params().u32(T).u32(V).data(), [a.logits.buffer, a.targets.buffer, a.weights.buffer, a.loss.buffer], T)
	);
}

/** Scales each row of x [T, V] in place by scale[t] (e.g. DPO's per-sequence coefficients). */
export function scaleRows(ctx: GpuContext, a: { x: DeviceTensor; scale: DeviceTensor }, batch?: Batch): void {
	check(a.x.shape.length === 2, `scaleRows: x must be [T, V], got [${a.x.shape}]`);
	const [T, V] = a.x.shape;
	checkTensor(a.x, 'f32', [T, V], 'scaleRows: x');
	checkTensor(a.scale, 'f32', [T], 'scaleRows: scale');
	withBatch(ctx, batch, (b) => run1d(ctx, b, SCALE_ROWS_WGSL, new Params().u32(T).u32(V).data(), [a.scale.buffer, a.x.buffer], T * V));
}

/** Workgroups per tensor in the gradient-norm reduction. */
const NORM_GROUPS = 32;

/** Size of the partials buffer {@link gradNormSq} needs for `tensors` gradients. */
export function gradNormPartials(tensors: number): number {
	return tensors * NORM_GROUPS;
}

/** out[0] = Σ over every gradient of Σ g² (the squared global norm), on the GPU. */
export function gradNormSq(ctx: GpuContext, a: { grads: readonly DeviceTensor[]; partials: DeviceTensor; out: DeviceTensor }, batch?: Batch): void {
	const need = gradNormPartials(a.grads.length);
	check(f32(a.partials, 'gradNormSq: partials') >= need, `gradNormSq: partials needs ${need} elements`);
	f32(a.out, 'gradNormSq: out');
	withBatch(ctx, batch, (b) => {
		const pipe = ctx.pipelines.get(SUMSQ_WGSL, { WG });
		a.grads.forEach((g, i) => {
			const n = f32(g, 'gradNormSq: grad');
			b.dispatch(pipe, new Params().u32(n).u32(i * NORM_GROUPS).data(), [g.buffer, a.partials.buffer], [NORM_GROUPS]);
		});
		b.dispatch(ctx.pipelines.get(SUM_WGSL, { WG }), new Params().u32(need).data(), [a.partials.buffer, a.out.buffer], [1]);
	});
}

export interface AdamWArgs {
	param: DeviceTensor;
	grad: DeviceTensor;
	m: DeviceTensor;
	v: DeviceTensor;
	/** [1] f32 squared global gradient norm (from gradNormSq), for clipping. */
	normSq: DeviceTensor;
	/** 1-based step number (bias correction). */
	step: number;
	opts: AdamWOptions;
}

/** One AdamW update in place (decoupled weight decay, bias correction, global-norm clip). */
export function adamw(ctx: GpuContext, a: AdamWArgs, batch?: Batch): void {
	const n = f32(a.param, 'adamw: param');
	for (const [t, w] of [[a.grad, 'grad'], [a.m, 'm'], [a.v, 'v']] as const) check(f32(t, `adamw: ${w}`) === n, `adamw: ${w} differs in size from param`);
	check(Number.isInteger(a.step) && a.step >= 1, `adamw: step must be an integer >= 1, got ${a.step}`);
	const o = a.opts;
	const params = new Params()
		.u32(n)
		.f32(o.lr)
		.f32(o.beta1)
		.f32(o.beta2)
		.f32(o.eps)
		.f32(o.weightDecay)
		.f32(1 - o.beta1 ** a.step)
		.f32(1 - o.beta2 ** a.step)
		.f32(o.clip)
		.data();
	withBatch(ctx, batch, (b) => run1d(ctx, b, ADAMW_WGSL, params, [a.grad.buffer, a.normSq.buffer, a.param.buffer, a.m.buffer, a.v.buffer], n));
}

/** Uploads u32 values (ids, positions) as a [n] tensor. */
export function u32Tensor(ctx: GpuContext, values: ArrayLike<number>, label?: string): DeviceTensor {
	return { buffer: uploadBuffer(ctx, Uint32Array.from(values), label), dtype: 'u32', shape: [values.length] };
}
