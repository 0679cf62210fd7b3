/**
 * Per-head post-processing of a fused q/k/v projection (see ./qkv-post.wgsl.ts): optional
 * q/k RMSNorm, RoPE, q out, and k/v written into the KV cache — one dispatch.
 */
import type { GpuContext } from '../../gpu/context.js';
import { grid, Params, withBatch, type Batch, type Binding } from '../../gpu/batch.js';
import { check, checkBindingSize, requireFeature } from '../../gpu/errors.js';
import { checkTensor, type DeviceTensor } from '../../gpu/tensor.js';
import type { RopeLayout, RopeTable } from '../rope/rope.js';
import { checkKvCache, type KvCache } from './kv-cache.js';
import { QKV_POST_MAX_D, renderQkvPost } from './qkv-post.wgsl.js';

export interface QkvPostArgs {
	/** [T, (Hq + 2·Hkv)·D] f32: each token's q heads, then k heads, then v heads. */
	qkv: DeviceTensor;
	/** Query heads Hq (Hkv and D come from the cache). */
	heads: number;
	/** Qwen3's per-head RMSNorm weights ([D] f32 each), applied before RoPE. */
	qkNorm?: { q: DeviceTensor; k: DeviceTensor; eps: number };
	table: RopeTable;
	layout: RopeLayout;
	/** Position of token 0. */
	pos0: number;
	/** [T, Hq, D] f32: the rotated queries. */
	q: DeviceTensor;
	/** Receives the rotated keys and the values at positions pos0 .. pos0 + T - 1. */
	cache: KvCache;
}

const WG = 64;

/**
 * The checks qkvPost and attentionDecode share: Hq a positive multiple of Hkv, the head dim
 * within {@link QKV_POST_MAX_D}, the rotary dim within the head, pos0 a non-negative integer,
 * and the q/k norm weights [D] f32 with eps >= 0. `op` names the caller in the messages.
 */
export function checkQkvHeads(a: Pick<QkvPostArgs, 'qkNorm' | 'table' | 'pos0'>, Hq: number, Hkv: number, D: number, op: string): void {
	check(Hq >= 1 && Hq % Hkv === 0, `${op}: query heads ${Hq} must be a positive multiple of kv heads ${Hkv}`);
	check(D <= QKV_POST_MAX_D, `${op}: head dim ${D} exceeds the supported ${QKV_POST_MAX_D}`);
	const R = a.table.rotaryDim;
	check(R <= D, `${op}: rotary dim ${R} exceeds head dim ${D}`);
	check(Number.isInteger(a.pos0) && a.pos0 >= 0, `${op}: pos0 must be a non-negative integer, got ${a.pos0}`);
	if (a.qkNorm) {
		checkTensor(a.qkNorm.q, 'f32', [D], `${op}: q norm weight`);
		checkTensor(a.qkNorm.k, 'f32', [D], `${op}: k norm weight`);
		check(a.qkNorm.eps >= 0, `${op}: eps must be >= 0, got ${a.qkNorm.eps}`);
	}
}

/** q = rope(norm(q)), cache[pos0 + t] = (rope(norm(k)), v) for every token t. */
export function qkvPost(ctx: GpuContext, a: QkvPostArgs, batch?: Batch): void {
	const [S, Hkv, D, kvDtype] = checkKvCache(a.cache, 'qkvPost');
	const Hq = a.heads;
	check(a.qkv.shape.length === 2, `qkvPost: qkv must be [T, (Hq + 2·Hkv)·D], got [${a.qkv.shape}]`);
	const T = a.qkv.shape[0];
	const width = (Hq + 2 * Hkv) * D;
	checkTensor(a.qkv, 'f32', [T, width], 'qkvPost: qkv');
	checkTensor(a.q, 'f32', [T, Hq, D], 'qkvPost: q');
	checkQkvHeads(a, Hq, Hkv, D, 'qkvPost');
	const R = a.table.rotaryDim;
	check(a.pos0 + T <= S, `qkvPost: positions up to ${a.pos0 + T - 1} exceed the cache capacity ${S}`);
	check(a.pos0 + T <= a.table.maxPositions, `qkvPost: positions up to ${a.pos0 + T - 1} exceed the rope table (${a.table.maxPositions})`);
	check(a.q.buffer !== a.qkv.buffer, 'qkvPost: q must not alias qkv');
	if (kvDtype === 'f16') requireFeature(ctx.features.f16, 'shader-f16', 'qkvPost into an f16 KV cache');
	checkBindingSize(T * width * 4, ctx.limits.maxStorageBufferBindingSize, 'qkvPost: qkv');
	const norm = !!a.qkNorm;
	const pipeline = ctx.pipelines.variant(`qkv-post|${kvDtype}|${norm}|${WG}`, () => renderQkvPost(kvDtype, norm), { WG });
	const params = new Params()
		.u32(T)
		.u32(Hq)
		.u32(Hkv)
		.u32(D)
		.u32(R)
		.u32(a.pos0)
		.u32(a.layout === 'pairs' ? 1 : 0)
		.f32(a.qkNorm?.eps ?? 0)
		.data();
	const buffers: Binding[] = [a.qkv.buffer, a.table.buffer];
	if (a.qkNorm) buffers.push(a.qkNorm.q.buffer, a.qkNorm.k.buffer);
	buffers.push(a.q.buffer, a.cache.k.buffer, a.cache.v.buffer);
	withBatch(ctx, batch, (b) => b.dispatch(pipeline, params, buffers, grid(ctx, T * (Hq + 2 * Hkv))));
}
