/**
 * Token sampling on the GPU: repetition penalty, temperature/greedy, top-k, top-p, min-p,
 * typical-p and the draw, in one dispatch; only the chosen id (and a kept count) is read back.
 * Semantics: sampling.ref.ts.
 */
import type { GpuContext } from '../../gpu/context.js';
import { Params, withBatch, type Batch } from '../../gpu/batch.js';
import { readU32 } from '../../gpu/buffers.js';
import { check, checkBindingSize } from '../../gpu/errors.js';
import { checkTensor, emptyTensor, type DeviceTensor } from '../../gpu/tensor.js';
import { SAMPLING_WGSL } from './sampling.wgsl.js';
import type { SamplingParams } from './sampling.ref.js';

export type { SamplingParams } from './sampling.ref.js';

export interface SampleArgs {
	/** [V] f32 raw logits (left untouched). */
	logits: DeviceTensor;
	/** [>= prevCount] u32 ids already in the context, for the repetition penalty. */
	prevIds?: DeviceTensor;
	/** How many of prevIds to use (default: all). */
	prevCount?: number;
	params: SamplingParams;
	/** Uniform random number in [0, 1), drawn on the host from a seeded generator. */
	u: number;
	/** [2] u32: the chosen token id, then how many tokens survived the filters. */
	out: DeviceTensor;
	/** [V] f32 scratch for the processed scores (allocated per call if omitted). */
	scratch?: DeviceTensor;
}

/**
 * Workgroup size: 256 on GPUs (more lanes on each pass over the vocabulary); 64 on CPU adapters,
 * where lanes are SIMD slots of a few cores and the smaller shader compiles ~25% faster.
 */
function samplerWorkgroup(ctx: GpuContext): number {
	return ctx.info.isCpu ? 64 : 256;
}

/** Checks SamplingParams, with messages in the user's terms. */
export function checkSamplingParams(p: SamplingParams): void {
	const t = p.temperature ?? 1;
	check(Number.isFinite(t) && t >= 0, `sampling: temperature must be >= 0 (0 = greedy), got ${t}`);
	const k = p.topK ?? 0;
	check(Number.isInteger(k) && k >= 0, `sampling: topK must be an integer >= 0 (0 = off), got ${k}`);
	for (const [name, v, off] of [
		['topP', p.topP, 1],
		['minP', p.minP, 0]
	] as const) {
		const x = v ?? off;
		check(Number.isFinite(x) && x >= 0 && x <= 1, `sampling: ${name} must be in [0, 1], got ${x}`);
	}
	// As HF's TypicalLogitsWarper: a mass of 0 would keep nothing.
	const typ = p.typicalP ?? 1;
	check(Number.isFinite(typ) && typ > 0 && typ <= 1, `sampling: typicalP must be in (0, 1] (1 = off), got ${typ}`);
	const r = p.repetitionPenalty ?? 1;
	check(Number.isFinite(r) && r > 0, `sampling: repetitionPenalty must be > 0 (1 = off), got ${r}`);
}

/** Records the sampler; read `out` (or use {@link sampleToken}) for the id. */
export function sample(ctx: GpuContext, a: SampleArgs, batch?: Batch): void {
	check(a.logits.shape.length === 1, `sample: logits must be [V], got [${a.logits.shape}]`);
	const V = a.logits.shape[0];
	check(V >= 1 && V < 1 << 24, `sample: vocabulary of ${V} outside [1, 2^24)`);
	checkTensor(a.logits, 'f32', [V], 'sample: logits');
	checkTensor(a.out, 'u32', [2], 'sample: out');
	checkSamplingParams(a.params);
	check(a.u >= 0 && a.u < 1, `sample: u must be in [0, 1), got ${a.u}`);
	const nPrev = a.prevIds ? (a.prevCount ?? a.prevIds.shape[0]) : 0;
	if (a.prevIds) {
		check(a.prevIds.dtype === 'u32', 'sample: prevIds must be u32');
		check(nPrev <= a.prevIds.shape[0], `sample: prevCount ${nPrev} exceeds prevIds length ${a.prevIds.shape[0]}`);
	}
	checkBindingSize(V * 4, ctx.limits.maxStorageBufferBindingSize, 'sample: logits');
	const scratch = a.scratch ?? emptyTensor(ctx, [V]);
	checkTensor(scratch, 'f32', [V], 'sample: scratch');
	// A bind group needs a buffer even when there is no history.
	const prev = a.prevIds?.buffer ?? emptyTensor(ctx, [1], 'u32').buffer;
	const p = a.params;
	const params = new Params()
		.u32(V)
		.u32(nPrev)
		.f32(p.temperature ?? 1)
		.u32(p.topK ?? 0)
		.f32(p.topP ?? 1)
		.f32(p.minP ?? 0)
		.f32(p.typicalP ?? 1)
		.f32(p.repetitionPenalty ?? 1)
		.f32(a.u)
		.data();
	const pipeline = ctx.pipelines.get(SAMPLING_WGSL, { WG: samplerWorkgroup(ctx) });
	withBatch(ctx, batch, (b) => b.dispatch(pipeline, params, [a.logits.buffer, prev, scratch.buffer, a.out.buffer], [1]));
}

/** Runs {@link sample} and reads back the token id. */
export async function sampleToken(ctx: GpuContext, a: Omit<SampleArgs, 'out'> & { out?: DeviceTensor }): Promise<number> {
	const out = a.out ?? emptyTensor(ctx, [2], 'u32');
	sample(ctx, { ...a, out });
	return (await readU32(ctx, out.buffer, 1))[0];
}
