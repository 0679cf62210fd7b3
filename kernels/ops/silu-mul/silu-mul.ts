/** out = silu(gate) · up for two f32 tensors of the same shape. */
import type { GpuContext } from '../../gpu/context.js';
import { grid, Params, withBatch, type Batch } from '../../gpu/batch.js';
import { check, checkBindingSize } from '../../gpu/errors.js';
import { checkTensor, numel, type DeviceTensor } from '../../gpu/tensor.js';
import { SILU_MUL_WGSL } from './silu-mul.wgsl.js';

export interface SiluMulArgs {
	gate: DeviceTensor;
	up: DeviceTensor;
	/** Same shape; must not alias gate or up. */
	out: DeviceTensor;
}

const WG = 64;

/** out = silu(gate) · up, elementwise. */
export function siluMul(ctx: GpuContext, a: SiluMulArgs, batch?: Batch): void {
	const shape = a.gate.shape;
	const n = numel(shape);
	checkTensor(a.gate, 'f32', shape, 'siluMul: gate');
	checkTensor(a.up, 'f32', shape, 'siluMul: up');
	checkTensor(a.out, 'f32', shape, 'siluMul: out');
	check(a.out.buffer !== a.gate.buffer && a.out.buffer !== a.up.buffer, 'siluMul: out must not alias the inputs');
	checkBindingSize(n * 4, ctx.limits.maxStorageBufferBindingSize, 'siluMul');
	const pipeline = ctx.pipelines.get(SILU_MUL_WGSL, { WG });
	const buffers = [a.gate.buffer, a.up.buffer, a.out.buffer];
	withBatch(ctx, batch, (b) => b.dispatch(pipeline, new Params().u32(n).data(), buffers, grid(ctx, Math.ceil(n / WG))));
}
