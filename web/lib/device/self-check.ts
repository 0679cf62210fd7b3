/**
 * What this device can do for Oasis: the WebGPU adapter, its features and limits, and a
 * self-check that runs real kernels (a linear layer and RMSNorm) on it and compares them with
 * their CPU references. This module is the app's entry to the kernels: pages import it with a
 * dynamic `import()`, so no ML code is in the initial payload or the service-worker precache.
 */
import { requestGpuContext, type GpuContext } from '../../../kernels/gpu/context';
import { readF32 } from '../../../kernels/gpu/buffers';
import { emptyTensor, tensorFrom, uploadWeight } from '../../../kernels/gpu/tensor';
import { matmul } from '../../../kernels/ops/matmul/matmul';
import { linearRef } from '../../../kernels/ops/matmul/matmul.ref';
import { rmsnorm } from '../../../kernels/ops/rmsnorm/rmsnorm';
import { rmsnormRef } from '../../../kernels/ops/rmsnorm/rmsnorm.ref';
import { seededRandom as random } from '../../../kernels/models/random';

/** One kernel compared with its CPU reference. The page names it in the interface language. */
export interface KernelCheck {
	/** Which kernel: the page shows its name from the device catalogue. */
	kernel: 'linear' | 'rmsnorm';
	shape: string;
	maxError: number;
	tolerance: number;
	ok: boolean;
	ms: number;
}

export interface DeviceReport {
	adapter: { vendor: string; architecture: string; device: string; isFallbackAdapter: boolean; isCpu: boolean };
	features: string[];
	limits: Record<string, number>;
	checks: KernelCheck[];
}

function values(r: () => number, n: number): Float32Array {
	return Float32Array.from({ length: n }, () => r() * 2 - 1);
}

function maxRelError(got: Float32Array, want: Float32Array): number {
	let worst = 0;
	for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
	return worst;
}

async function checkLinear(ctx: GpuContext, M: number, K: number, N: number): Promise<KernelCheck> {
	const r = random(M * 7919 + K * 31 + N);
	const x = values(r, M * K);
	const w = values(r, N * K);
	const started = performance.now();
	const out = emptyTensor(ctx, [M, N]);
	matmul(ctx, { x: tensorFrom(ctx, x, [M, K]), w: uploadWeight(ctx, 'f32', w, N, K), out });
	const got = await readF32(ctx, out.buffer, M * N);
	const ms = performance.now() - started;
	const maxError = maxRelError(got, linearRef(x, w, undefined, M, K, N));
	return { kernel: 'linear', shape: `[${M}×${K}]·[${N}×${K}]ᵀ`, maxError, tolerance: 1e-4, ok: maxError <= 1e-4, ms };
}

async function checkRmsnorm(ctx: GpuContext, R: number, D: number): Promise<KernelCheck> {
	const r = random(R * 131 + D);
	const x = values(r, R * D);
	const w = values(r, D);
	const started = performance.now();
	const out = emptyTensor(ctx, [R, D]);
	rmsnorm(ctx, { x: tensorFrom(ctx, x, [R, D]), weight: tensorFrom(ctx, w, [D]), out, eps: 1e-5 });
	const got = await readF32(ctx, out.buffer, R * D);
	const ms = performance.now() - started;
	const maxError = maxRelError(got, rmsnormRef(x, w, R, D, 1e-5));
	return { kernel: 'rmsnorm', shape: `[${R}×${D}]`, maxError, tolerance: 1e-5, ok: maxError <= 1e-5, ms };
}

/** Finds the adapter and runs the kernel self-check. Throws a readable error without WebGPU. */
export async function checkDevice(gpu: GPU | undefined = globalThis.navigator?.gpu): Promise<DeviceReport> {
	const ctx = await requestGpuContext(gpu);
	try {
		const checks = [await checkLinear(ctx, 7, 45, 33), await checkLinear(ctx, 16, 64, 48), await checkRmsnorm(ctx, 5, 77)];
		ctx.throwIfErrors();
		return {
			adapter: {
				vendor: ctx.info.vendor,
				architecture: ctx.info.architecture,
				device: ctx.info.device,
				isFallbackAdapter: ctx.info.isFallbackAdapter,
				isCpu: ctx.info.isCpu
			},
			features: ctx.featureList(),
			limits: { ...ctx.limits },
			checks
		};
	} finally {
		ctx.destroy();
	}
}
