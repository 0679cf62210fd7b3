/**
 * LoRA linear layers on the GPU: y = x·Wᵀ (+ b) + s·(x·Aᵀ)·Bᵀ with s = alpha / r, the base W
 * frozen in any format (f32, f16, q8, q4: the inference matmul dequantizes it) and A [r, K],
 * B [N, r] trainable f32. The backward gives dA, dB and dx, where dx through the base uses the
 * transposed dequantizing matmul (linearGradX). CPU reference: loraFwdRef / loraBackwardRef.
 */
import type { GpuContext } from '../gpu/context.js';
import { withBatch, type Batch } from '../gpu/batch.js';
import { check } from '../gpu/errors.js';
import type { DeviceTensor, Weight } from '../gpu/tensor.js';
import { matmul } from '../ops/matmul/matmul.js';
import { axpy, linearGradW, linearGradX } from './train-ops.js';

/** A dense f32 matrix [rows, cols] in one buffer, usable both as a Weight and as a tensor. */
export interface DenseParam {
	readonly weight: Weight;
	readonly tensor: DeviceTensor;
}

/** Wraps an f32 [rows, cols] tensor as a single-part Weight (for the inference matmul). */
export function denseParam(t: DeviceTensor): DenseParam {
	check(t.dtype === 'f32' && t.shape.length === 2, `denseParam: expected an f32 [rows, cols] tensor, got ${t.dtype} [${t.shape}]`);
	const [rows, cols] = t.shape;
	return { tensor: t, weight: { format: 'f32', rows, cols, parts: [{ buffer: t.buffer, rowStart: 0, rows }] } };
}

export interface LoraLinearArgs {
	/** [M, K] input. */
	x: DeviceTensor;
	/** [N, K] frozen base weight, any format. */
	w: Weight;
	bias?: DeviceTensor;
	/** [r, K] and [N, r] adapters. */
	a: DenseParam;
	b: DenseParam;
	/** alpha / r. */
	scale: number;
	/** [M, r] x·Aᵀ, written here and kept for the backward. */
	ax: DeviceTensor;
	/** [M, N] scratch for (x·Aᵀ)·Bᵀ. */
	tmp: DeviceTensor;
	/** [M, N] output. */
	out: DeviceTensor;
}

/** Records the LoRA forward: out = x·Wᵀ (+ b) + scale·(x·Aᵀ)·Bᵀ. */
export function loraLinear(ctx: GpuContext, a: LoraLinearArgs, batch?: Batch): void {
	withBatch(ctx, batch, (bt) => {
		matmul(ctx, { x: a.x, w: a.w, bias: a.bias, out: a.out }, bt);
		matmul(ctx, { x: a.x, w: a.a.weight, out: a.ax }, bt);
		matmul(ctx, { x: a.ax, w: a.b.weight, out: a.tmp }, bt);
		axpy(ctx, { x: a.tmp, y: a.out, alpha: a.scale }, bt);
	});
}

export interface LoraLinearGradArgs {
	x: DeviceTensor;
	w: Weight;
	a: DenseParam;
	b: DenseParam;
	scale: number;
	/** [M, r] kept from the forward. */
	ax: DeviceTensor;
	/** [M, N] gradient of the output. */
	dy: DeviceTensor;
	/** [M, r] scratch for d(ax). */
	dax: DeviceTensor;
	/** [r, K], [N, r] adapter gradients (added to). */
	da: DeviceTensor;
	db: DeviceTensor;
	/** [M, K] input gradient: overwritten, or added to with `accumulate`. */
	dx: DeviceTensor;
	accumulate?: boolean;
}

/** Records the LoRA backward: dB += s·dyᵀ·ax, d(ax) = s·dy·B, dA += d(ax)ᵀ·x, dx (+)= dy·W + d(ax)·A. */
export function loraLinearGrad(ctx: GpuContext, a: LoraLinearGradArgs, batch?: Batch): void {
	withBatch(ctx, batch, (bt) => {
		linearGradW(ctx, { dy: a.dy, x: a.ax, grad: a.db, scale: a.scale, accumulate: true }, bt);
		linearGradX(ctx, { dy: a.dy, w: a.b.weight, out: a.dax, scale: a.scale }, bt);
		linearGradW(ctx, { dy: a.dax, x: a.x, grad: a.da, accumulate: true }, bt);
		linearGradX(ctx, { dy: a.dy, w: a.w, out: a.dx, accumulate: a.accumulate }, bt);
		linearGradX(ctx, { dy: a.dax, w: a.a.weight, out: a.dx, accumulate: true }, bt);
	});
}
