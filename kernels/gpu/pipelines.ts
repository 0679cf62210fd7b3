/**
 * Compute pipelines cached by WGSL source + entry point + override constants, so an op can
 * ask for its pipeline on every call without recompiling (shader compilation is slow on
 * every backend, and very slow on the CPU ones).
 */

/** Values for WGSL `override` declarations. */
export type OverrideConstants = Record<string, number>;

export class PipelineCache {
	private readonly modules = new Map<string, GPUShaderModule>();
	private readonly pipelines = new Map<string, GPUComputePipeline>();

	constructor(private readonly device: GPUDevice) {}

	/** Returns the pipeline for `code` with `constants`, creating it on first use. */
	get(code: string, constants: OverrideConstants = {}, entryPoint = 'main'): GPUComputePipeline {
		const constKey = Object.keys(constants)
			.sort()
			.map((k) => `${k}=${constants[k]}`)
			.join(',');
		const key = `${entryPoint}|${constKey}|${code}`;
		let pipeline = this.pipelines.get(key);
		if (!pipeline) {
			let module = this.modules.get(code);
			if (!module) {
				module = this.device.createShaderModule({ code });
				this.modules.set(code, module);
			}
			pipeline = this.device.createComputePipeline({
				layout: 'auto',
				compute: { module, entryPoint, constants }
			});
			this.pipelines.set(key, pipeline);
		}
		return pipeline;
	}

	get size(): number {
		return this.pipelines.size;
	}
}
