/**
 * The KV cache and the op that writes new keys/values into it.
 *
 * Layout, per layer: two tensors K and V of shape [S, Hkv, D] (S = capacity in positions),
 * f32 or f16, position-major so that the T new rows of a step are one contiguous range: for
 * an f32 cache writing them is a single buffer copy each, and a cache can grow by copying its
 * prefix. An f16 cache (needs shader-f16) halves the memory and the bytes decode reads per
 * token; attention still computes in f32.
 */
import type { GpuContext } from '../../gpu/context.js';
import { grid, Params, withBatch, type Batch } from '../../gpu/batch.js';
import { check, checkBindingSize, requireFeature } from '../../gpu/errors.js';
import { checkTensor, dtypeBytes, emptyTensor, type DeviceTensor } from '../../gpu/tensor.js';
import { KV_WRITE_F16_WGSL } from './kv-cache.wgsl.js';

/** Element type of a KV cache. */
export type KvDtype = 'f32' | 'f16';

/** One layer's cache: k and v are [S, Hkv, D] of the same dtype (f32 or f16). */
export interface KvCache {
	k: DeviceTensor;
	v: DeviceTensor;
}

/** Allocates a zeroed cache for `capacity` positions. */
export function createKvCache(ctx: GpuContext, capacity: number, Hkv: number, D: number, dtype: KvDtype = 'f32'): KvCache {
	if (dtype === 'f16') requireFeature(ctx.features.f16, 'shader-f16', 'an f16 KV cache');
	checkBindingSize(capacity * Hkv * D * dtypeBytes(dtype), ctx.limits.maxStorageBufferBindingSize, 'KV cache (one layer, K or V)');
	return {
		k: emptyTensor(ctx, [capacity, Hkv, D], dtype, 'k-cache'),
		v: emptyTensor(ctx, [capacity, Hkv, D], dtype, 'v-cache')
	};
}

/** Validates a cache and returns [S, Hkv, D, dtype]. */
export function checkKvCache(cache: KvCache, what: string): [number, number, number, KvDtype] {
	check(cache.k.shape.length === 3, `${what}: cache.k must be [S, Hkv, D], got [${cache.k.shape}]`);
	const [S, Hkv, D] = cache.k.shape;
	const dtype = cache.k.dtype;
	check(dtype === 'f32' || dtype === 'f16', `${what}: KV cache dtype must be f32 or f16, got ${dtype}`);
	checkTensor(cache.k, dtype, [S, Hkv, D], `${what}: cache.k`);
	checkTensor(cache.v, dtype, [S, Hkv, D], `${what}: cache.v`);
	return [S, Hkv, D, dtype];
}

export interface WriteKvArgs {
	cache: KvCache;
	/** [T, Hkv, D] f32 keys (after RoPE) and values of the new tokens. */
	k: DeviceTensor;
	v: DeviceTensor;
	/** Position of the first new token. */
	pos0: number;
}

const WG = 64;

/** Writes the new tokens' keys and values into positions pos0 .. pos0 + T - 1 of the cache. */
export function writeKv(ctx: GpuContext, a: WriteKvArgs, batch?: Batch): void {
	const [S, Hkv, D, dtype] = checkKvCache(a.cache, 'writeKv');
	check(a.k.shape.length === 3, `writeKv: k must be [T, Hkv, D], got [${a.k.shape}]`);
	const T = a.k.shape[0];
	checkTensor(a.k, 'f32', [T, Hkv, D], 'writeKv: k');
	checkTensor(a.v, 'f32', [T, Hkv, D], 'writeKv: v');
	check(Number.isInteger(a.pos0) && a.pos0 >= 0, `writeKv: pos0 must be a non-negative integer, got ${a.pos0}`);
	check(a.pos0 + T <= S, `writeKv: positions up to ${a.pos0 + T - 1} exceed the cache capacity ${S}`);
	const row = Hkv * D;
	if (dtype === 'f16') requireFeature(ctx.features.f16, 'shader-f16', 'writeKv into an f16 cache');
	withBatch(ctx, batch, (b) => {
		if (dtype === 'f32') {
			b.copy(a.k.buffer, 0, a.cache.k.buffer, a.pos0 * row * 4, T * row * 4);
			b.copy(a.v.buffer, 0, a.cache.v.buffer, a.pos0 * row * 4, T * row * 4);
			return;
		}
		const n = T * row;
		const params = new Params().u32(n).u32(a.pos0 * row).data();
		const buffers = [a.k.buffer, a.v.buffer, a.cache.k.buffer, a.cache.v.buffer];
		b.dispatch(ctx.pipelines.get(KV_WRITE_F16_WGSL, { WG }), params, buffers, grid(ctx, Math.ceil(n / WG)));
	});
}
