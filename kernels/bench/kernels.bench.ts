/**
 * Kernel benchmark: `npx tsx kernels/bench/kernels.bench.ts [--quick] [--no-f16]`.
 *
 * For each kernel and size it prints time, GB/s (minimum bytes the kernel must read + write),
 * GFLOP/s, and the ratio of its GB/s to the adapter's own copy bandwidth measured in the same
 * run (copyBufferToBuffer of a large buffer, bytes read + written): the "napkin math" roofline.
 * On CPU adapters (lavapipe, SwiftShader) absolute numbers say little about real GPUs; compare
 * kernels with each other and with the copy roofline.
 */
import { createNodeContext } from '../gpu/node.js';
import type { GpuContext } from '../gpu/context.js';
import type { Batch } from '../gpu/batch.js';
import { createStorage } from '../gpu/buffers.js';
import { emptyTensor, tensorFrom, weightRowBytes, type WeightFormat } from '../gpu/tensor.js';
import { makeWeight } from '../testing/weights.js';
import { normal, rng } from '../testing/rng.js';
import { matmul } from '../ops/matmul/matmul.js';
import { matvec, type MatvecVariant } from '../ops/matvec/matvec.js';
import { fusedMatvec } from '../ops/matvec/fused-matvec.js';
import { rmsnorm } from '../ops/rmsnorm/rmsnorm.js';
import { softmax } from '../ops/softmax/softmax.js';
import { createRopeTable, rope } from '../ops/rope/rope.js';
import { attention, createKvCache } from '../ops/attention/attention.js';
import { sample } from '../ops/sampling/sampling.js';
import { embedding } from '../ops/embedding/embedding.js';
import { siluMul } from '../ops/silu-mul/silu-mul.js';
import { autoReps, timeGpu } from './timing.js';

const quick = process.argv.includes('--quick');
const noF16 = process.argv.includes('--no-f16');

interface Row {
	kernel: string;
	shape: string;
	ms: number;
	gbs: number;
	gflops: number;
}

async function measure(ctx: GpuContext, record: (b: Batch) => void, bytes: number, flops: number): Promise<Omit<Row, 'kernel' | 'shape'>> {
	const s = await timeGpu(ctx, record, await autoReps(ctx, record));
	return { ms: s * 1e3, gbs: bytes / s / 1e9, gflops: flops / s / 1e9 };
}

async function copyBandwidth(ctx: GpuContext): Promise<number> {
	const bytes = (quick ? 32 : 128) * 1024 * 1024;
	const src = createStorage(ctx, bytes);
	const dst = createStorage(ctx, bytes);
	const s = await timeGpu(ctx, (b) => b.copy(src, 0, dst, 0, bytes), quick ? 3 : 5);
	src.destroy();
	dst.destroy();
	return (2 * bytes) / s / 1e9;
}

async function main(): Promise<void> {
	const ctx = await createNodeContext({ disableF16: noF16 });
	const r = rng(1);
	const rows: Row[] = [];
	const add = (kernel: string, shape: string, m: Omit<Row, 'kernel' | 'shape'>) => {
		rows.push({ kernel, shape, ...m });
		process.stderr.write('.');
	};
	const copyGbs = await copyBandwidth(ctx);
	const formats: WeightFormat[] = ['f32', ...(ctx.features.f16 ? (['f16'] as const) : []), 'q8', 'q4'];
	const variants: MatvecVariant[] = ['rows', 'workgroup', ...(ctx.features.subgroups ? (['subgroup'] as const) : [])];

	// Decode-shaped matvecs (SmolLM2-135M: D=576, I=1536; a 1B-class square layer).
	const mvShapes: [number, number][] = quick ? [[1536, 576]] : [[1536, 576], [576, 1536], [2048, 2048]];
	for (const [N, K] of mvShapes) {
		const x = tensorFrom(ctx, normal(r, K), [1, K]);
		const out = emptyTensor(ctx, [1, N]);
		for (const f of formats) {
			const { weight } = makeWeight(ctx, f, normal(r, N * K), N, K);
			const bytes = N * weightRowBytes(f, K) + K * 4 + N * 4;
			for (const v of variants) {
				add(`matvec ${f} ${v}`, `N=${N} K=${K}`, await measure(ctx, (b) => matvec(ctx, { x, w: weight, out, variant: v }, b), bytes, 2 * N * K));
			}
		}
	}

	// The fused decode matvecs of a SmolLM2 layer: RMSNorm + gate/up (interleaved, 2·1536 rows)
	// + SwiGLU, and down + residual add. Bytes: the weights, x (and g), the output.
	{
		const [D, I] = [576, 1536];
		const x = tensorFrom(ctx, normal(r, D), [1, D]);
		const g = tensorFrom(ctx, normal(r, D), [D]);
		const act = tensorFrom(ctx, normal(r, I), [1, I]);
		const res = emptyTensor(ctx, [1, D]);
		const gu = emptyTensor(ctx, [1, I]);
		for (const f of formats) {
			const up = makeWeight(ctx, f, normal(r, 2 * I * D), 2 * I, D).weight;
			const down = makeWeight(ctx, f, normal(r, D * I), D, I).weight;
			for (const v of variants) {
				const norm = { weight: g, eps: 1e-5 };
				add(`fused matvec norm+swiglu ${f} ${v}`, `N=${2 * I} K=${D}`, await measure(ctx, (b) => fusedMatvec(ctx, { x, w: up, norm, out: gu, epilogue: 'swiglu', variant: v }, b), 2 * I * weightRowBytes(f, D) + 2 * D * 4 + I * 4, 4 * I * D));
				add(`fused matvec +residual ${f} ${v}`, `N=${D} K=${I}`, await measure(ctx, (b) => fusedMatvec(ctx, { x: act, w: down, out: res, epilogue: 'add', variant: v }, b), D * weightRowBytes(f, I) + I * 4 + 2 * D * 4, 2 * I * D));
			}
		}
	}
	// Prefill-shaped matmuls.
	const mmShapes: [number, number, number][] = quick ? [[32, 576, 576]] : [[64, 576, 1536], [128, 576, 576]];
	for (const [M, K, N] of mmShapes) {
		const x = tensorFrom(ctx, normal(r, M * K), [M, K]);
		const out = emptyTensor(ctx, [M, N]);
		for (const f of formats) {
			const { weight } = makeWeight(ctx, f, normal(r, N * K), N, K);
			const bytes = N * weightRowBytes(f, K) + M * K * 4 + M * N * 4;
			add(`matmul ${f}`, `M=${M} K=${K} N=${N}`, await measure(ctx, (b) => matmul(ctx, { x, w: weight, out }, b), bytes, 2 * M * N * K));
		}
	}

	// Row / elementwise kernels.
	for (const [R, D] of [[1, 576], [64, 576]] as const) {
		const x = tensorFrom(ctx, normal(r, R * D), [R, D]);
		const w = tensorFrom(ctx, normal(r, D), [D]);
		const out = emptyTensor(ctx, [R, D]);
		add('rmsnorm', `R=${R} D=${D}`, await measure(ctx, (b) => rmsnorm(ctx, { x, weight: w, out, eps: 1e-5 }, b), (2 * R * D + D) * 4, 4 * R * D));
	}
	{
		const n = 64 * 1536;
		const g = tensorFrom(ctx, normal(r, n), [n]);
		const u = tensorFrom(ctx, normal(r, n), [n]);
		const o = emptyTensor(ctx, [n]);
		add('silu-mul', `n=${n}`, await measure(ctx, (b) => siluMul(ctx, { gate: g, up: u, out: o }, b), 3 * n * 4, 5 * n));
	}
	{
		const V = 49152;
		const D = 576;
		const T = 64;
		const { weight } = makeWeight(ctx, 'f32', normal(r, V * D), V, D);
		const ids = tensorFrom(ctx, Uint32Array.from({ length: T }, (_, i) => (i * 997) % V), [T]);
		const out = emptyTensor(ctx, [T, D]);
		add('embedding f32', `T=${T} D=${D}`, await measure(ctx, (b) => embedding(ctx, { ids, table: weight, out }, b), 2 * T * D * 4, 0));
		const logits = tensorFrom(ctx, normal(r, V, 3), [V]);
		const sm = emptyTensor(ctx, [1, V]);
		const logits2 = { ...logits, shape: [1, V] };
		add('softmax', `V=${V}`, await measure(ctx, (b) => softmax(ctx, { x: logits2, out: sm }, b), 2 * V * 4, 3 * V));
		const so = emptyTensor(ctx, [2], 'u32');
		const scratch = emptyTensor(ctx, [V]);
		for (const [name, params] of [
			['greedy', { temperature: 0 }],
			['top-k+top-p', { temperature: 0.8, topK: 40, topP: 0.9 }],
			['all filters', { temperature: 0.8, topK: 40, topP: 0.9, minP: 0.05, typicalP: 0.9, repetitionPenalty: 1.1 }]
		] as const) {
			add(`sample ${name}`, `V=${V}`, await measure(ctx, (b) => sample(ctx, { logits, params, u: 0.5, out: so, scratch }, b), V * 4, 0));
		}
	}
	{
		const [T, H, D] = [64, 9, 64];
		const x = tensorFrom(ctx, normal(r, T * H * D), [T, H, D]);
		const table = createRopeTable(ctx, { rotaryDim: D, theta: 10000, maxPositions: 2048 });
		add('rope half', `T=${T} H=${H} D=${D}`, await measure(ctx, (b) => rope(ctx, { x, table, pos0: 100, layout: 'half' }, b), 2 * T * H * D * 4, 3 * T * H * D));
	}
	for (const [T, p0] of quick ? [[1, 255]] : [[1, 511], [1, 2047], [64, 0]]) {
		const [Hq, Hkv, D] = [9, 3, 64];
		const cache = createKvCache(ctx, p0 + T, Hkv, D);
		const q = tensorFrom(ctx, normal(r, T * Hq * D), [T, Hq, D]);
		const out = emptyTensor(ctx, [T, Hq, D]);
		const keys = p0 + T;
		const bytes = 2 * keys * Hkv * D * 4 + 2 * T * Hq * D * 4;
		const flops = 4 * T * Hq * D * (p0 + (T + 1) / 2);
		for (const splitLength of T === 1 ? [0, 256] : [0]) {
			const name = splitLength ? `attention split ${splitLength}` : 'attention';
			add(name, `T=${T} p0=${p0} Hq=${Hq} Hkv=${Hkv} D=${D}`, await measure(ctx, (b) => attention(ctx, { q, cache, pos0: p0, out, splitLength }, b), bytes, flops));
		}
	}
	process.stderr.write('\n');

	console.log(`adapter: ${ctx.info.vendor} ${ctx.info.architecture} ${ctx.info.description} (features: ${ctx.featureList().join(', ')})`);
	console.log(`copy bandwidth (copyBufferToBuffer, read + write): ${copyGbs.toFixed(2)} GB/s\n`);
	const pad = (s: string, n: number) => s.padEnd(n);
	console.log(`${pad('kernel', 26)}${pad('shape', 34)}${pad('ms', 10)}${pad('GB/s', 9)}${pad('GFLOP/s', 9)}of copy`);
	for (const row of rows) {
		console.log(
			pad(row.kernel, 26) +
				pad(row.shape, 34) +
				pad(row.ms.toFixed(3), 10) +
				pad(row.gbs.toFixed(2), 9) +
				pad(row.gflops ? row.gflops.toFixed(2) : '-', 9) +
				`${((100 * row.gbs) / copyGbs).toFixed(0)}%`
		);
	}
	ctx.destroy();
}

await main();
process.exit(0);
