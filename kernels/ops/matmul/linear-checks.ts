/** Input checks shared by matmul and matvec (both compute Y = X · W^T + b). */
import type { GpuContext } from '../../gpu/context.js';
import { check, checkBindingSize, requireFeature } from '../../gpu/errors.js';
import { checkTensor, QUANT_BLOCK, weightRowBytes, type DeviceTensor, type Weight } from '../../gpu/tensor.js';

/** Arguments of a linear layer. */
export interface LinearArgs {
	/** [M, K] f32 activations. */
	x: DeviceTensor;
	/** [N, K] weight in any format, possibly split along N. */
	w: Weight;
	/** Optional [N] f32 bias (Qwen2's q/k/v projections). */
	bias?: DeviceTensor;
	/** [M, N] f32 output. Must not alias x. */
	out: DeviceTensor;
}

/** Validates shapes, dtypes, features and binding limits (out is [M, outCols]); returns M. */
export function checkLinear(ctx: GpuContext, a: LinearArgs, op: string, outCols = a.w.rows): number {
	const { w } = a;
	check(a.x.shape.length === 2, `${op}: x must be [M, K], got [${a.x.shape}]`);
	const [M, K] = a.x.shape;
	check(M >= 1 && K >= 1, `${op}: empty x [${a.x.shape}]`);
	check(K === w.cols, `${op}: x has K=${K} but the weight is [${w.rows}, ${w.cols}]`);
	checkTensor(a.x, 'f32', [M, K], `${op}: x`);
	checkTensor(a.out, 'f32', [M, outCols], `${op}: out`);
	check(a.out.buffer !== a.x.buffer, `${op}: out must not alias x`);
	if (a.bias) checkTensor(a.bias, 'f32', [w.rows], `${op}: bias`);
	if (w.format === 'f16') requireFeature(ctx.features.f16, 'shader-f16', `${op} with f16 weights`);
	if (w.format === 'q8' || w.format === 'q4') {
		check(K % QUANT_BLOCK === 0, `${op}: ${w.format} weights need K % ${QUANT_BLOCK} == 0, got K=${K}`);
	}
	const limit = ctx.limits.maxStorageBufferBindingSize;
	checkBindingSize(M * K * 4, limit, `${op}: x`);
	checkBindingSize(M * outCols * 4, limit, `${op}: out`);
	for (const p of w.parts) checkBindingSize(p.rows * weightRowBytes(w.format, K), limit, `${op}: weight part at row ${p.rowStart}`);
	return M;
}
