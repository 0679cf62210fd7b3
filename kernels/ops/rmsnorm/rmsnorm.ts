/** RMSNorm over the last dimension of a [R, D] tensor. */
import type { GpuContext } from '../../gpu/context.js';
import { grid, Params, withBatch, type Batch } from '../../gpu/batch.js';
import { check, checkBindingSize, requireFeature } from '../../gpu/errors.js';
import { checkTensor, type DeviceTensor } from '../../gpu/tensor.js';
import { renderRmsnorm } from './rmsnorm.wgsl.js';

export interface RmsnormArgs {
	/** [R, D] f32. */
	x: DeviceTensor;
	/** [D] f32 or f16. */
	weight: DeviceTensor;
	/** [R, D] f32; must not alias x. */
	out: DeviceTensor;
	eps: number;
}

const WG = 64;

/** y = x / sqrt(mean(x²) + eps) · w, row by row. */
export function rmsnorm(ctx: GpuContext, a: RmsnormArgs, batch?: Batch): void {
	check(a.x.shape.length === 2, `rmsnorm: x must be [R, D], got [${a.x.shape}]`);
	const [R, D] = a.x.shape;
	checkTensor(a.x, 'f32', [R, D], 'rmsnorm: x');
	checkTensor(a.out, 'f32', [R, D], 'rmsnorm: out');
	check(a.weight.dtype === 'f32' || a.weight.dtype === 'f16', 'rmsnorm: weight must be f32 or f16');
	checkTensor(a.weight, a.weight.dtype, [D], 'rmsnorm: weight');
	check(a.out.buffer !== a.x.buffer, 'rmsnorm: out must not alias x');
	check(a.eps >= 0, `rmsnorm: eps must be >= 0, got ${a.eps}`);
	if (a.weight.dtype === 'f16') requireFeature(ctx.features.f16, 'shader-f16', 'rmsnorm with an f16 weight');
	checkBindingSize(R * D * 4, ctx.limits.maxStorageBufferBindingSize, 'rmsnorm: x');
	const pipeline = ctx.pipelines.variant(`rmsnorm|${a.weight.dtype}|${WG}`, () => renderRmsnorm(a.weight.dtype as 'f32' | 'f16'), { WG });
	const params = new Params().u32(R).u32(D).f32(a.eps).data();
	withBatch(ctx, batch, (b) => b.dispatch(pipeline, params, [a.x.buffer, a.weight.buffer, a.out.buffer], grid(ctx, R)));
}
