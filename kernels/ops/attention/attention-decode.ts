/**
 * Decode attention with the q/k/v post-processing fused in (see ./attention-decode.wgsl.ts):
 * qkvPost + attention in one dispatch (two with the flash-decoding split on GPUs).
 */
import type { GpuContext } from '../../gpu/context.js';
import { grid, Params, withBatch, type Batch, type Binding } from '../../gpu/batch.js';
import { check, checkBindingSize, requireFeature } from '../../gpu/errors.js';
import { checkTensor, dtypeBytes, type DeviceTensor } from '../../gpu/tensor.js';
import { defaultSplitLength } from './attention.js';
import { renderAttentionCombine } from './attention.wgsl.js';
import { renderAttentionDecode } from './attention-decode.wgsl.js';
import { checkKvCache } from './kv-cache.js';
import { checkQkvHeads, type QkvPostArgs } from './qkv-post.js';

export interface AttentionDecodeArgs extends Omit<QkvPostArgs, 'q'> {
	/** [1, Hq, D] f32: softmax(q k^T · scale) v over positions 0 ..= pos0. */
	out: DeviceTensor;
	/** Defaults to 1 / sqrt(D). */
	scale?: number;
	/** As in `attention` (default {@link defaultSplitLength}). */
	splitLength?: number;
}

const WG = 64;

/**
 * For one new token: q = rope(norm(q)), cache[pos0] = (rope(norm(k)), v), out = attention of q
 * over the cache — equal to qkvPost followed by attention.
 */
export function attentionDecode(ctx: GpuContext, a: AttentionDecodeArgs, batch?: Batch): void {
	const [S, Hkv, D, kvDtype] = checkKvCache(a.cache, 'attentionDecode');
	const Hq = a.heads;
	const width = (Hq + 2 * Hkv) * D;
	checkTensor(a.qkv, 'f32', [1, width], 'attentionDecode: qkv (one token)');
	checkTensor(a.out, 'f32', [1, Hq, D], 'attentionDecode: out');
	checkQkvHeads(a, Hq, Hkv, D, 'attentionDecode');
	const R = a.table.rotaryDim;
	check(a.pos0 < S, `attentionDecode: position ${a.pos0} exceeds the cache capacity ${S}`);
	check(a.pos0 < a.table.maxPositions, `attentionDecode: position ${a.pos0} exceeds the rope table (${a.table.maxPositions})`);
	check(a.out.buffer !== a.qkv.buffer, 'attentionDecode: out must not alias qkv');
	if (kvDtype === 'f16') requireFeature(ctx.features.f16, 'shader-f16', 'attentionDecode over an f16 KV cache');
	const limit = ctx.limits.maxStorageBufferBindingSize;
	checkBindingSize(S * Hkv * D * dtypeBytes(kvDtype), limit, 'attentionDecode: KV cache');
	const scale = a.scale ?? 1 / Math.sqrt(D);
	const keys = a.pos0 + 1;
	const splitLen = a.splitLength ?? defaultSplitLength(ctx, Hq, keys);
	check(Number.isInteger(splitLen) && splitLen >= 0, `attentionDecode: splitLength must be an integer >= 0, got ${splitLen}`);
	const splits = splitLen > 0 ? Math.ceil(keys / splitLen) : 1;
	if (splits > 1) checkBindingSize(Hq * splits * D * 4, limit, 'attentionDecode: partial results');
	const norm = !!a.qkNorm;
	const params = new Params()
		.u32(Hq)
		.u32(Hkv)
		.u32(D)
		.u32(a.pos0)
		.f32(scale)
		.u32(splits)
		.u32(splitLen)
		.u32(R)
		.u32(a.layout === 'pairs' ? 1 : 0)
		.f32(a.qkNorm?.eps ?? 0)
		.data();
	const inputs: Binding[] = [a.qkv.buffer, a.table.buffer];
	if (a.qkNorm) inputs.push(a.qkNorm.q.buffer, a.qkNorm.k.buffer);
	inputs.push(a.cache.k.buffer, a.cache.v.buffer);
	withBatch(ctx, batch, (b) => {
		if (splits === 1) {
			const pipeline = ctx.pipelines.variant(`attention-decode|full|${kvDtype}|${norm}|${WG}`, () => renderAttentionDecode('full', kvDtype, norm), { WG });
			b.dispatch(pipeline, params, [...inputs, a.out.buffer], grid(ctx, Hq));
			return;
		}
		const partAcc = b.scratch('attention-partial-acc', Hq * splits * D * 4);
		const partMl = b.scratch('attention-partial-ml', Hq * splits * 8);
		const partial = ctx.pipelines.variant(`attention-decode|partial|${kvDtype}|${norm}|${WG}`, () => renderAttentionDecode('partial', kvDtype, norm), { WG });
		b.dispatch(partial, params, [...inputs, partAcc, partMl], grid(ctx, Hq * splits));
		const combineParams = new Params().u32(1).u32(Hq).u32(Hkv).u32(D).u32(a.pos0).f32(scale).u32(splits).u32(splitLen).data();
		b.dispatch(ctx.pipelines.variant(`attention|combine|${WG}`, renderAttentionCombine, { WG }), combineParams, [partAcc, partMl, a.out.buffer], grid(ctx, Hq));
	});
}
