/** Row-wise softmax of a [R, C] tensor. */
import type { GpuContext } from '../../gpu/context.js';
import { grid, Params, withBatch, type Batch } from '../../gpu/batch.js';
import { check, checkBindingSize } from '../../gpu/errors.js';
import { checkTensor, type DeviceTensor } from '../../gpu/tensor.js';
import { SOFTMAX_WGSL } from './softmax.wgsl.js';

export interface SoftmaxArgs {
	/** [R, C] f32. */
	x: DeviceTensor;
	/** [R, C] f32; must not alias x. */
	out: DeviceTensor;
}

const WG = 64;

/** out[r] = softmax(x[r]). */
export function softmax(ctx: GpuContext, a: SoftmaxArgs, batch?: Batch): void {
	check(a.x.shape.length === 2, `softmax: x must be [R, C], got [${a.x.shape}]`);
	const [R, C] = a.x.shape;
	checkTensor(a.x, 'f32', [R, C], 'softmax: x');
	checkTensor(a.out, 'f32', [R, C], 'softmax: out');
	check(a.out.buffer !== a.x.buffer, 'softmax: out must not alias x');
	checkBindingSize(R * C * 4, ctx.limits.maxStorageBufferBindingSize, 'softmax: x');
	const pipeline = ctx.pipelines.get(SOFTMAX_WGSL, { WG });
	const params = new Params().u32(R).u32(C).data();
	withBatch(ctx, batch, (b) => b.dispatch(pipeline, params, [a.x.buffer, a.out.buffer], grid(ctx, R)));
}
