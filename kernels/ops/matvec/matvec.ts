/** Matrix-vector product for decode: y[1, N] = x[1, K] · W[N, K]^T (+ bias). */
import type { GpuContext } from '../../gpu/context.js';
import { grid, Params, withBatch, type Batch, type Binding } from '../../gpu/batch.js';
import { check, requireFeature } from '../../gpu/errors.js';
import { useVec4 } from '../../quant/weight-access.wgsl.js';
import { checkLinear, type LinearArgs } from '../matmul/linear-checks.js';
import { MATVEC_ROWS_PER_WG, renderMatvec, type MatvecVariant } from './matvec.wgsl.js';

export type { MatvecVariant } from './matvec.wgsl.js';

/** Linear-layer arguments plus an optional kernel variant (default: {@link defaultMatvecVariant}). */
export interface MatvecArgs extends LinearArgs {
	variant?: MatvecVariant;
}

const WG = 64;

/**
 * The variant for this adapter: `rows` on CPU adapters (no barriers, lanes stream rows),
 * `subgroup` where subgroups exist, else `workgroup`.
 */
export function defaultMatvecVariant(ctx: GpuContext): MatvecVariant {
	if (ctx.info.isCpu) return 'rows';
	return ctx.features.subgroups ? 'subgroup' : 'workgroup';
}

/** y = W x (+ b) for one row of x, one dispatch per weight part. */
export function matvec(ctx: GpuContext, a: MatvecArgs, batch?: Batch): void {
	const M = checkLinear(ctx, a, 'matvec');
	check(M === 1, `matvec: x must have one row, got ${M} (use matmul)`);
	const variant = a.variant ?? defaultMatvecVariant(ctx);
	if (variant === 'subgroup') requireFeature(ctx.features.subgroups, 'subgroups', 'matvec subgroup variant');
	const K = a.w.cols;
	const vec4 = useVec4(a.w.format, K);
	const bias = !!a.bias;
	const pipeline = ctx.pipelines.variant(`matvec|${a.w.format}|${vec4}|${bias}|${variant}|${WG}`, () => renderMatvec({ format: a.w.format, vec4, bias, variant }), { WG });
	withBatch(ctx, batch, (b) => {
		for (const part of a.w.parts) {
			const params = new Params().u32(K).u32(part.rows).u32(part.rowStart).data();
			const buffers: Binding[] = [a.x.buffer, part.buffer];
			if (a.bias) buffers.push(a.bias.buffer);
			buffers.push(a.out.buffer);
			const groups =
				variant === 'rows' ? Math.ceil(part.rows / WG) : Math.ceil(part.rows / MATVEC_ROWS_PER_WG);
			b.dispatch(pipeline, params, buffers, grid(ctx, groups));
		}
	});
}
