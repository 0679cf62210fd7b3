/** Embedding lookup from a (possibly split, possibly f16 or quantized) table. */
import type { GpuContext } from '../../gpu/context.js';
import { grid, Params, withBatch, type Batch } from '../../gpu/batch.js';
import { check, checkBindingSize, requireFeature } from '../../gpu/errors.js';
import { checkTensor, weightRowBytes, type DeviceTensor, type Weight } from '../../gpu/tensor.js';
import { useVec4 } from '../../quant/weight-access.wgsl.js';
import { renderEmbedding } from './embedding.wgsl.js';

export interface EmbeddingArgs {
	/** [T] u32 token ids, each < table.rows (not checked on the GPU: out-of-range ids write nothing). */
	ids: DeviceTensor;
	/** [V, D] table. */
	table: Weight;
	/** [T, D] f32. */
	out: DeviceTensor;
}

const WG = 64;

/** out[t] = table[ids[t]]. */
export function embedding(ctx: GpuContext, a: EmbeddingArgs, batch?: Batch): void {
	check(a.ids.shape.length === 1, `embedding: ids must be [T], got [${a.ids.shape}]`);
	const T = a.ids.shape[0];
	const D = a.table.cols;
	checkTensor(a.ids, 'u32', [T], 'embedding: ids');
	checkTensor(a.out, 'f32', [T, D], 'embedding: out');
	if (a.table.format === 'f16') requireFeature(ctx.features.f16, 'shader-f16', 'embedding with an f16 table');
	const limit = ctx.limits.maxStorageBufferBindingSize;
	checkBindingSize(T * D * 4, limit, 'embedding: out');
	for (const p of a.table.parts) checkBindingSize(p.rows * weightRowBytes(a.table.format, D), limit, 'embedding: table part');
	const vec4 = useVec4(a.table.format, D);
	const pipeline = ctx.pipelines.variant(`embedding|${a.table.format}|${vec4}|${WG}`, () => renderEmbedding(a.table.format, vec4), { WG });
	const threads = T * (vec4 ? D / 4 : D);
	withBatch(ctx, batch, (b) => {
		for (const p of a.table.parts) {
			const params = new Params().u32(T).u32(D).u32(p.rowStart).u32(p.rows).data();
			b.dispatch(pipeline, params, [a.ids.buffer, p.buffer, a.out.buffer], grid(ctx, Math.ceil(threads / WG)));
		}
	});
}
