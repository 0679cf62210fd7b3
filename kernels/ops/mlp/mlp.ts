/**
 * The SiLU-gated MLP from the linear and siluMul kernels:
 * y = down( silu(gate(x)) ⊙ up(x) ). Four dispatches (more if weights are split).
 */
import type { GpuContext } from '../../gpu/context.js';
import { withBatch, type Batch } from '../../gpu/batch.js';
import { check } from '../../gpu/errors.js';
import { emptyTensor, type DeviceTensor, type Weight } from '../../gpu/tensor.js';
import { linear } from '../matmul/matmul.js';
import { siluMul } from '../silu-mul/silu-mul.js';

/** gate and up are [I, D]; down is [D, I]. */
export interface MlpWeights {
	gate: Weight;
	up: Weight;
	down: Weight;
}

/** Three [M, I] f32 intermediates, reusable across calls with the same M. */
export interface MlpScratch {
	gate: DeviceTensor;
	up: DeviceTensor;
	act: DeviceTensor;
}

export interface MlpArgs {
	/** [M, D] f32. */
	x: DeviceTensor;
	w: MlpWeights;
	/** [M, D] f32; must not alias x. */
	out: DeviceTensor;
	/** Allocated (and leaked to the GC) per call if omitted. */
	scratch?: MlpScratch;
}

/** Allocates the intermediates for M tokens. */
export function createMlpScratch(ctx: GpuContext, M: number, I: number): MlpScratch {
	return { gate: emptyTensor(ctx, [M, I]), up: emptyTensor(ctx, [M, I]), act: emptyTensor(ctx, [M, I]) };
}

/** y = down(silu(gate(x)) · up(x)). */
export function mlp(ctx: GpuContext, a: MlpArgs, batch?: Batch): void {
	const { gate, up, down } = a.w;
	const I = gate.rows;
	check(up.rows === I && up.cols === gate.cols, `mlp: up [${up.rows}, ${up.cols}] differs from gate [${gate.rows}, ${gate.cols}]`);
	check(down.cols === I && down.rows === gate.cols, `mlp: down must be [${gate.cols}, ${I}], got [${down.rows}, ${down.cols}]`);
	const M = a.x.shape[0];
	const s = a.scratch ?? createMlpScratch(ctx, M, I);
	withBatch(ctx, batch, (b) => {
		linear(ctx, { x: a.x, w: gate, out: s.gate }, b);
		linear(ctx, { x: a.x, w: up, out: s.up }, b);
		siluMul(ctx, { gate: s.gate, up: s.up, out: s.act }, b);
		linear(ctx, { x: s.act, w: down, out: a.out }, b);
	});
}
