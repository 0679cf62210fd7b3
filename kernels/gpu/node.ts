/**
 * Node only: a WebGPU `GPU` from the npm `webgpu` package (Dawn). Kept out of the
 * platform-neutral modules so a browser bundle never pulls in `webgpu`.
 * On a machine without a GPU, Dawn runs on Mesa lavapipe (Mesa >= 24; see
 * shared/spec/webgpu-on-cpu.md).
 */
import { create, globals } from 'webgpu';
import { requestGpuContext, type GpuContext, type GpuContextOptions } from './context.js';

let cached: GPU | undefined;

/** Returns Node's `GPU` object and installs the WebGPU globals (GPUBufferUsage, …) once. */
export function createNodeGpu(dawnOptions: string[] = []): GPU {
	if (!cached) {
		Object.assign(globalThis, globals);
		cached = create(dawnOptions);
	}
	return cached;
}

/** `requestGpuContext(createNodeGpu(), options)`. */
export function createNodeContext(options: GpuContextOptions = {}): Promise<GpuContext> {
	return requestGpuContext(createNodeGpu(), options);
}
