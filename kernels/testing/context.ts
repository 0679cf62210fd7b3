/**
 * The test context: one WebGPU device per test file — `navigator.gpu` when the tests run in a
 * browser (Vitest browser mode, Chromium + SwiftShader), else Node's `webgpu` package (Dawn on
 * lavapipe). Environment switches exercise the fallback paths on an adapter that has everything:
 *   OASIS_KERNELS_NO_F16=1        request no shader-f16 (f16 cases skip, as on SwiftShader)
 *   OASIS_KERNELS_NO_SUBGROUPS=1  request no subgroups (subgroup cases skip)
 */
import { requestGpuContext, type GpuContext, type GpuContextOptions } from '../gpu/context.js';

interface NodeGpuModule {
	createNodeGpu(): GPU;
}

async function findGpu(): Promise<GPU> {
	const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
	if (nav?.gpu) return nav.gpu;
	// A variable specifier keeps bundlers from pulling the Node-only module into a browser build.
	const nodeModule = '../gpu/node.js';
	const mod = (await import(/* @vite-ignore */ nodeModule)) as NodeGpuModule;
	return mod.createNodeGpu();
}

/** Creates a context honouring the environment switches above. */
export async function testContext(options: GpuContextOptions = {}): Promise<GpuContext> {
	const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
	return requestGpuContext(await findGpu(), {
		disableF16: env.OASIS_KERNELS_NO_F16 === '1',
		disableSubgroups: env.OASIS_KERNELS_NO_SUBGROUPS === '1',
		...options
	});
}
