/**
 * Linear layers on the GPU: `matmul` (prefill, any M) and `linear`, which picks the matvec
 * kernel for M = 1 (decode) and the matmul kernel otherwise.
 */
import type { GpuContext } from '../../gpu/context.js';
import { grid, Params, withBatch, type Batch, type Binding } from '../../gpu/batch.js';
import { useVec4 } from '../../quant/weight-access.wgsl.js';
import { renderMatmul } from './matmul.wgsl.js';
import { checkLinear, type LinearArgs } from './linear-checks.js';
import { matvec, type MatvecArgs } from '../matvec/matvec.js';
import type { MatvecEpilogue } from '../matvec/fused-matvec.wgsl.js';
import { check } from '../../gpu/errors.js';

export type { LinearArgs } from './linear-checks.js';

/** Matmul arguments plus what to do with each output (default 'store'; see renderMatmul). */
export interface MatmulArgs extends LinearArgs {
	epilogue?: MatvecEpilogue;
	/** First column of out [M, L] to write (default 0): the N outputs go to columns outOffset.. */
	outOffset?: number;
}

const WG = 64;

/**
 * Y = X · W^T (+ bias) with the register-blocked matmul kernel, one dispatch per weight part;
 * `epilogue` 'add' accumulates into Y, 'swiglu' gates (gate, up) row pairs into Y [M, N/2].
 */
export function matmul(ctx: GpuContext, a: MatmulArgs, batch?: Batch): void {
	const epilogue = a.epilogue ?? 'store';
	const swiglu = epilogue === 'swiglu';
	if (swiglu) {
		check(a.w.rows % 2 === 0, `matmul: swiglu needs (gate, up) row pairs, got ${a.w.rows} rows`);
		for (const p of a.w.parts) check(p.rowStart % 2 === 0 && p.rows % 2 === 0, `matmul: swiglu weight part at row ${p.rowStart} splits a (gate, up) pair`);
	}
	const produced = swiglu ? a.w.rows / 2 : a.w.rows;
	const outOff = a.outOffset ?? 0;
	const ldy = a.out.shape.length === 2 ? a.out.shape[1] : produced;
	check(Number.isInteger(outOff) && outOff >= 0 && outOff + produced <= ldy, `matmul: out [${a.out.shape}] has no room for ${produced} columns at ${outOff}`);
	const M = checkLinear(ctx, a, 'matmul', ldy);
	const K = a.w.cols;
	const vec4 = useVec4(a.w.format, K);
	const bias = !!a.bias;
	const key = `matmul|${a.w.format}|${vec4}|${bias}|${epilogue}|${WG}`;
	const pipeline = ctx.pipelines.variant(key, () => renderMatmul({ format: a.w.format, vec4, bias, epilogue }), { WG });
	withBatch(ctx, batch, (b) => {
		for (const part of a.w.parts) {
			const params = new Params().u32(M).u32(K).u32(part.rows).u32(part.rowStart).u32(ldy).u32(outOff).data();
			const buffers: Binding[] = [a.x.buffer, part.buffer];
			if (a.bias) buffers.push(a.bias.buffer);
			buffers.push(a.out.buffer);
			const tiles = Math.ceil(M / 4) * Math.ceil(part.rows / 4);
			b.dispatch(pipeline, params, buffers, grid(ctx, Math.ceil(tiles / WG)));
		}
	});
}

/** A linear layer: matvec when x has one row (decode), matmul otherwise (prefill). */
export function linear(ctx: GpuContext, a: MatvecArgs, batch?: Batch): void {
	if (a.x.shape[0] === 1) matvec(ctx, a, batch);
	else matmul(ctx, a, batch);
}
