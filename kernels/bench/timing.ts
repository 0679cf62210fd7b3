/** Wall-clock timing of GPU work for the benchmarks: warm up, then time `reps` in one submit. */
import type { GpuContext } from '../gpu/context.js';
import { Batch } from '../gpu/batch.js';

/** Seconds per repetition of `record`, recorded `reps` times into one batch. */
export async function timeGpu(ctx: GpuContext, record: (b: Batch) => void, reps: number): Promise<number> {
	const warm = new Batch(ctx);
	record(warm);
	warm.submit();
	await ctx.device.queue.onSubmittedWorkDone();
	const b = new Batch(ctx);
	for (let i = 0; i < reps; i++) record(b);
	const t0 = performance.now();
	b.submit();
	await ctx.device.queue.onSubmittedWorkDone();
	ctx.throwIfErrors();
	return (performance.now() - t0) / 1000 / reps;
}

/** Picks a repetition count so one measurement takes roughly `targetS` seconds. */
export async function autoReps(ctx: GpuContext, record: (b: Batch) => void, targetS = 0.3): Promise<number> {
	const once = await timeGpu(ctx, record, 1);
	return Math.max(1, Math.min(200, Math.round(targetS / Math.max(once, 1e-6))));
}
