/** Residual add of two f32 tensors of the same shape. */
import type { GpuContext } from '../../gpu/context.js';
import { grid, Params, withBatch, type Batch } from '../../gpu/batch.js';
import { check, checkBindingSize } from '../../gpu/errors.js';
import { checkTensor, numel, type DeviceTensor } from '../../gpu/tensor.js';
import { renderAdd } from './add.wgsl.js';

export interface AddArgs {
	a: DeviceTensor;
	b: DeviceTensor;
	/** Output; omit to add in place into `a`. Must not alias `a` or `b`. */
	out?: DeviceTensor;
}

const WG = 64;

/** out = a + b, or a += b when `out` is omitted. */
export function add(ctx: GpuContext, x: AddArgs, batch?: Batch): void {
	const n = numel(x.a.shape);
	checkTensor(x.a, 'f32', x.a.shape, 'add: a');
	checkTensor(x.b, 'f32', x.a.shape, 'add: b');
	check(x.b.buffer !== x.a.buffer, 'add: b must not alias a');
	if (x.out) {
		checkTensor(x.out, 'f32', x.a.shape, 'add: out');
		check(x.out.buffer !== x.a.buffer && x.out.buffer !== x.b.buffer, 'add: out must not alias the inputs (omit out to add in place)');
	}
	checkBindingSize(n * 4, ctx.limits.maxStorageBufferBindingSize, 'add');
	const pipeline = ctx.pipelines.variant(x.out ? `add|out|${WG}` : `add|inplace|${WG}`, () => renderAdd(!x.out), { WG });
	const buffers = x.out ? [x.a.buffer, x.b.buffer, x.out.buffer] : [x.a.buffer, x.b.buffer];
	withBatch(ctx, batch, (b) => b.dispatch(pipeline, new Params().u32(n).data(), buffers, grid(ctx, Math.ceil(n / WG))));
}
