/**
 * The decode matvec with RMSNorm, bias, residual add or SwiGLU fused in (see
 * ./fused-matvec.wgsl.ts): one dispatch per weight part does what took up to four.
 */
import type { GpuContext } from '../../gpu/context.js';
import { grid, Params, withBatch, type Batch, type Binding } from '../../gpu/batch.js';
import { check, checkBindingSize, requireFeature } from '../../gpu/errors.js';
import { checkTensor, numel, QUANT_BLOCK, weightRowBytes, type DeviceTensor, type Weight } from '../../gpu/tensor.js';
import { useVec4 } from '../../quant/weight-access.wgsl.js';
import { defaultMatvecVariant } from './matvec.js';
import { MATVEC_ROWS_PER_WG, type MatvecVariant } from './matvec.wgsl.js';
import { renderFusedMatvec, type MatvecEpilogue } from './fused-matvec.wgsl.js';

export type { MatvecEpilogue } from './fused-matvec.wgsl.js';

export interface FusedMatvecArgs {
	/** [M, K] f32; row `xRow` is the input vector. */
	x: DeviceTensor;
	/** Default 0. */
	xRow?: number;
	/** [N, K] in any format; for `swiglu`, rows interleaved (gate 0, up 0, gate 1, up 1, …). */
	w: Weight;
	/** RMSNorm of x (weight [K] f32) before the product. */
	norm?: { weight: DeviceTensor; eps: number };
	/** [N] f32. */
	bias?: DeviceTensor;
	/** f32, any shape; written at outOffset .. + N (N/2 for swiglu). Must not alias x. */
	out: DeviceTensor;
	outOffset?: number;
	/** Default 'store'. */
	epilogue?: MatvecEpilogue;
	variant?: MatvecVariant;
}

const WG = 64;

/** Validates the arguments (shapes, dtypes, features, binding limits, swiglu pairing). */
function checkFused(ctx: GpuContext, a: FusedMatvecArgs): { K: number; N: number } {
	const { w } = a;
	const ep = a.epilogue ?? 'store';
	check(a.x.shape.length === 2, `fusedMatvec: x must be [M, K], got [${a.x.shape}]`);
	const [M, K] = a.x.shape;
	const N = w.rows;
	check(K === w.cols && K >= 1, `fusedMatvec: x has K=${K} but the weight is [${w.rows}, ${w.cols}]`);
	checkTensor(a.x, 'f32', [M, K], 'fusedMatvec: x');
	const xRow = a.xRow ?? 0;
	check(Number.isInteger(xRow) && xRow >= 0 && xRow < M, `fusedMatvec: xRow ${xRow} is outside x's ${M} rows`);
	check(a.out.dtype === 'f32', `fusedMatvec: out must be f32, got ${a.out.dtype}`);
	const outOffset = a.outOffset ?? 0;
	const outLen = ep === 'swiglu' ? N / 2 : N;
	check(Number.isInteger(outOffset) && outOffset >= 0, `fusedMatvec: outOffset must be a non-negative integer, got ${outOffset}`);
	check(outOffset + outLen <= numel(a.out.shape), `fusedMatvec: out [${a.out.shape}] has no room for ${outLen} values at offset ${outOffset}`);
	check(a.out.buffer !== a.x.buffer, 'fusedMatvec: out must not alias x');
	if (ep === 'swiglu') {
		check(N % 2 === 0, `fusedMatvec: swiglu needs (gate, up) row pairs, got ${N} rows`);
		for (const p of w.parts) check(p.rowStart % 2 === 0 && p.rows % 2 === 0, `fusedMatvec: swiglu weight part at row ${p.rowStart} splits a (gate, up) pair`);
	}
	if (a.bias) checkTensor(a.bias, 'f32', [N], 'fusedMatvec: bias');
	if (a.norm) {
		checkTensor(a.norm.weight, 'f32', [K], 'fusedMatvec: norm weight');
		check(a.norm.eps >= 0, `fusedMatvec: eps must be >= 0, got ${a.norm.eps}`);
	}
	if (w.format === 'f16') requireFeature(ctx.features.f16, 'shader-f16', 'fusedMatvec with f16 weights');
	if (w.format === 'q8' || w.format === 'q4') {
		check(K % QUANT_BLOCK === 0, `fusedMatvec: ${w.format} weights need K % ${QUANT_BLOCK} == 0, got K=${K}`);
	}
	const limit = ctx.limits.maxStorageBufferBindingSize;
	checkBindingSize(M * K * 4, limit, 'fusedMatvec: x');
	checkBindingSize(a.out.buffer.size, limit, 'fusedMatvec: out');
	for (const p of w.parts) checkBindingSize(p.rows * weightRowBytes(w.format, K), limit, `fusedMatvec: weight part at row ${p.rowStart}`);
	return { K, N };
}

/**
 * out[o + n] (=|+=) (W · norm(x))_n + b_n, or out[o + n/2] = silu(y_n) · y_(n+1) for
 * `swiglu`; one dispatch per weight part.
 */
export function fusedMatvec(ctx: GpuContext, a: FusedMatvecArgs, batch?: Batch): void {
	const { K } = checkFused(ctx, a);
	const variant = a.variant ?? defaultMatvecVariant(ctx);
	if (variant === 'subgroup') requireFeature(ctx.features.subgroups, 'subgroups', 'fusedMatvec subgroup variant');
	const epilogue = a.epilogue ?? 'store';
	const vec4 = useVec4(a.w.format, K);
	const bias = !!a.bias;
	const norm = !!a.norm;
	const key = `fmatvec|${a.w.format}|${vec4}|${bias}|${norm}|${epilogue}|${variant}|${WG}`;
	const pipeline = ctx.pipelines.variant(key, () => renderFusedMatvec({ format: a.w.format, vec4, bias, norm, epilogue, variant }), { WG });
	const xOff = (a.xRow ?? 0) * K;
	const outOff = a.outOffset ?? 0;
	const eps = a.norm?.eps ?? 0;
	withBatch(ctx, batch, (b) => {
		for (const part of a.w.parts) {
			const params = new Params().u32(K).u32(part.rows).u32(part.rowStart).u32(xOff).u32(outOff).f32(eps).data();
			const buffers: Binding[] = [a.x.buffer, part.buffer];
			if (a.norm) buffers.push(a.norm.weight.buffer);
			if (a.bias) buffers.push(a.bias.buffer);
			buffers.push(a.out.buffer);
			const perGroup = variant === 'rows' ? WG * (epilogue === 'swiglu' ? 2 : 1) : MATVEC_ROWS_PER_WG;
			b.dispatch(pipeline, params, buffers, grid(ctx, Math.ceil(part.rows / perGroup)));
		}
	});
}
