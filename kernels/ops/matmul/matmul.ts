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

export type { LinearArgs } from './linear-checks.js';

const WG = 64;

/** Y = X · W^T (+ bias) with the register-blocked matmul kernel, one dispatch per weight part. */
export function matmul(ctx: GpuContext, a: LinearArgs, batch?: Batch): void {
	const M = checkLinear(ctx, a, 'matmul');
	const K = a.w.cols;
	const vec4 = useVec4(a.w.format, K);
	const bias = !!a.bias;
	const pipeline = ctx.pipelines.variant(`matmul|${a.w.format}|${vec4}|${bias}|${WG}`, () => renderMatmul({ format: a.w.format, vec4, bias }), { WG });
	withBatch(ctx, batch, (b) => {
		for (const part of a.w.parts) {
			const params = new Params().u32(M).u32(K).u32(part.rows).u32(part.rowStart).u32(a.w.rows).data();
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
