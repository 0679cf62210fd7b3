/** Rotary position embeddings, applied in place to q or k. */
import type { GpuContext } from '../../gpu/context.js';
import { grid, Params, withBatch, type Batch } from '../../gpu/batch.js';
import { uploadBuffer } from '../../gpu/buffers.js';
import { check, checkBindingSize } from '../../gpu/errors.js';
import { checkTensor, type DeviceTensor } from '../../gpu/tensor.js';
import { ropeInvFreq, type RopeLayout } from './rope.ref.js';
import { ROPE_WGSL } from './rope.wgsl.js';

export { ropeInvFreq, type RopeLayout } from './rope.ref.js';

/** cos/sin of p · f_i for p < maxPositions, i < rotaryDim/2, as interleaved f32 pairs. */
export interface RopeTable {
	readonly buffer: GPUBuffer;
	readonly rotaryDim: number;
	readonly maxPositions: number;
}

/**
 * Builds the cos/sin table in float64 on the host. `invFreq` (length rotaryDim/2) overrides the
 * default theta^(-2i/R), e.g. for Llama 3 rope scaling computed from config.json; `scale`
 * multiplies cos and sin (YaRN's attention factor).
 */
export function createRopeTable(
	ctx: GpuContext,
	o: { rotaryDim: number; theta: number; maxPositions: number; invFreq?: ArrayLike<number>; scale?: number }
): RopeTable {
	check(o.rotaryDim > 0 && o.rotaryDim % 2 === 0, `createRopeTable: rotaryDim must be even and > 0, got ${o.rotaryDim}`);
	const half = o.rotaryDim / 2;
	const inv = o.invFreq ?? ropeInvFreq(o.rotaryDim, o.theta);
	const scale = o.scale ?? 1;
	check(inv.length === half, `createRopeTable: invFreq has ${inv.length} values, expected ${half}`);
	const data = new Float32Array(o.maxPositions * half * 2);
	for (let p = 0; p < o.maxPositions; p++) {
		for (let i = 0; i < half; i++) {
			const a = p * inv[i];
			data[(p * half + i) * 2] = scale * Math.cos(a);
			data[(p * half + i) * 2 + 1] = scale * Math.sin(a);
		}
	}
	checkBindingSize(data.byteLength, ctx.limits.maxStorageBufferBindingSize, 'rope table');
	return { buffer: uploadBuffer(ctx, data, 'rope-table'), rotaryDim: o.rotaryDim, maxPositions: o.maxPositions };
}

export interface RopeArgs {
	/** [T, H, D] f32, rotated in place. */
	x: DeviceTensor;
	table: RopeTable;
	/** Position of token 0 (the number of tokens already in the KV cache). */
	pos0: number;
	layout: RopeLayout;
}

const WG = 64;

/** Rotates the first table.rotaryDim features of every head of x in place. */
export function rope(ctx: GpuContext, a: RopeArgs, batch?: Batch): void {
	check(a.x.shape.length === 3, `rope: x must be [T, H, D], got [${a.x.shape}]`);
	const [T, H, D] = a.x.shape;
	const R = a.table.rotaryDim;
	checkTensor(a.x, 'f32', [T, H, D], 'rope: x');
	check(R <= D, `rope: rotary dim ${R} exceeds head dim ${D}`);
	check(Number.isInteger(a.pos0) && a.pos0 >= 0, `rope: pos0 must be a non-negative integer, got ${a.pos0}`);
	check(a.pos0 + T <= a.table.maxPositions, `rope: positions up to ${a.pos0 + T - 1} exceed the table (${a.table.maxPositions}); build a longer RopeTable`);
	checkBindingSize(T * H * D * 4, ctx.limits.maxStorageBufferBindingSize, 'rope: x');
	const pipeline = ctx.pipelines.get(ROPE_WGSL, { WG });
	const params = new Params().u32(T).u32(H).u32(D).u32(R).u32(a.pos0).u32(a.layout === 'pairs' ? 1 : 0).u32(a.table.maxPositions).data();
	const n = T * H * (R / 2);
	withBatch(ctx, batch, (b) => b.dispatch(pipeline, params, [a.x.buffer, a.table.buffer], grid(ctx, Math.ceil(n / WG))));
}
