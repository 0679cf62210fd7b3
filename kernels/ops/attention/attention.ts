/**
 * Causal grouped-query attention over a KV cache (layout: ./kv-cache.ts), one workgroup per
 * query and head, or with the keys split over workgroups (flash-decoding) when there are too
 * few queries to fill a GPU.
 */
import type { GpuContext } from '../../gpu/context.js';
import { grid, Params, withBatch, type Batch } from '../../gpu/batch.js';
import { check, checkBindingSize, requireFeature } from '../../gpu/errors.js';
import { checkTensor, dtypeBytes, type DeviceTensor } from '../../gpu/tensor.js';
import { checkKvCache, type KvCache } from './kv-cache.js';
import { renderAttentionCombine, renderAttention } from './attention.wgsl.js';

export { createKvCache, writeKv, type KvCache, type KvDtype, type WriteKvArgs } from './kv-cache.js';

export interface AttentionArgs {
	/** [T, Hq, D] f32 queries (after RoPE) at positions pos0 .. pos0 + T - 1. */
	q: DeviceTensor;
	/** Holds positions 0 .. pos0 + T - 1 (call writeKv first). */
	cache: KvCache;
	pos0: number;
	/** [T, Hq, D] f32. */
	out: DeviceTensor;
	/** Defaults to 1 / sqrt(D). */
	scale?: number;
	/**
	 * Keys per workgroup in the split (flash-decoding) variant; 0 = one workgroup per query.
	 * Default: {@link defaultSplitLength}.
	 */
	splitLength?: number;
}

/**
 * Split the keys when there are too few queries to fill a GPU (decode, short prefill) and the
 * context is long; CPU adapters have few cores, so one workgroup per query is enough there.
 */
export function defaultSplitLength(ctx: GpuContext, queries: number, keys: number): number {
	if (ctx.info.isCpu || queries >= 256 || keys <= 512) return 0;
	return 256;
}

const WG = 64;

/** out = causal softmax(q k^T · scale) v, per query head, over the cache. */
export function attention(ctx: GpuContext, a: AttentionArgs, batch?: Batch): void {
	check(a.q.shape.length === 3, `attention: q must be [T, Hq, D], got [${a.q.shape}]`);
	const [T, Hq, D] = a.q.shape;
	const [S, Hkv, Dk, kvDtype] = checkKvCache(a.cache, 'attention');
	checkTensor(a.q, 'f32', [T, Hq, D], 'attention: q');
	checkTensor(a.out, 'f32', [T, Hq, D], 'attention: out');
	if (kvDtype === 'f16') requireFeature(ctx.features.f16, 'shader-f16', 'attention over an f16 KV cache');
	check(Dk === D, `attention: head dim of q (${D}) and cache (${Dk}) differ`);
	check(Hq % Hkv === 0, `attention: query heads ${Hq} must be a multiple of kv heads ${Hkv}`);
	check(D <= 4 * WG, `attention: head dim ${D} exceeds the supported ${4 * WG}`);
	check(Number.isInteger(a.pos0) && a.pos0 >= 0, `attention: pos0 must be a non-negative integer, got ${a.pos0}`);
	check(a.pos0 + T <= S, `attention: positions up to ${a.pos0 + T - 1} exceed the cache capacity ${S}`);
	check(a.out.buffer !== a.q.buffer, 'attention: out must not alias q');
	const limit = ctx.limits.maxStorageBufferBindingSize;
	checkBindingSize(T * Hq * D * 4, limit, 'attention: q');
	checkBindingSize(S * Hkv * D * dtypeBytes(kvDtype), limit, 'attention: KV cache');
	const scale = a.scale ?? 1 / Math.sqrt(D);
	const keys = a.pos0 + T;
	const splitLen = a.splitLength ?? defaultSplitLength(ctx, T * Hq, keys);
	check(Number.isInteger(splitLen) && splitLen >= 0, `attention: splitLength must be an integer >= 0, got ${splitLen}`);
	const splits = splitLen > 0 ? Math.ceil(keys / splitLen) : 1;
	if (splits > 1) checkBindingSize(T * Hq * splits * D * 4, limit, 'attention: partial results');
	const params = new Params().u32(T).u32(Hq).u32(Hkv).u32(D).u32(a.pos0).f32(scale).u32(splits).u32(splitLen).data();
	const kv = [a.q.buffer, a.cache.k.buffer, a.cache.v.buffer];
	withBatch(ctx, batch, (b) => {
		if (splits === 1) {
			const pipeline = ctx.pipelines.variant(`attention|full|${kvDtype}|${WG}`, () => renderAttention('full', kvDtype), { WG });
			b.dispatch(pipeline, params, [...kv, a.out.buffer], grid(ctx, T * Hq));
			return;
		}
		const partAcc = b.scratch('attention-partial-acc', T * Hq * splits * D * 4);
		const partMl = b.scratch('attention-partial-ml', T * Hq * splits * 8);
		b.dispatch(ctx.pipelines.variant(`attention|partial|${kvDtype}|${WG}`, () => renderAttention('partial', kvDtype), { WG }), params, [...kv, partAcc, partMl], grid(ctx, T * Hq * splits));
		b.dispatch(ctx.pipelines.variant(`attention|combine|${WG}`, renderAttentionCombine, { WG }), params, [partAcc, partMl, a.out.buffer], grid(ctx, T * Hq));
	});
}
