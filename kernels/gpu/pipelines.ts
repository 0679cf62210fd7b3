/**
 * Compute pipelines cached by WGSL source + entry point + override constants, so an op can
 * ask for its pipeline on every call without recompiling (shader compilation is slow on
 * every backend, and very slow on the CPU ones).
 *
 * Hot paths (every dispatch of every decode step) should use {@link PipelineCache.variant}: a
 * short key that names the variant, so the WGSL is rendered, hashed and compared only once.
 *
 * Shaders whose bindings are all `@group(0)` buffers with the params uniform at binding 0 (every
 * op here) get an explicit layout whose uniform has a dynamic offset, shared by every pipeline
 * with the same binding signature; `Batch` then reuses bind groups across steps and moves only
 * the offset. Other shaders get `layout: 'auto'`.
 */

/** Values for WGSL `override` declarations. */
export type OverrideConstants = Record<string, number>;

/** What `Batch` needs to bind a pipeline's group 0. */
export interface PipelineInfo {
	/** Group 0's layout (explicit, or the 'auto' one fetched once). */
	readonly layout: GPUBindGroupLayout;
	/** Distinct per layout; part of bind-group cache keys. */
	readonly layoutId: number;
	/** Binding 0 is a uniform with a dynamic offset (explicit layout). */
	readonly dynamicParams: boolean;
}

const COMPUTE_STAGE = 4; // GPUShaderStage.COMPUTE
const BINDING_RE = /@group\(\s*(\d+)\s*\)\s*@binding\(\s*(\d+)\s*\)\s*var\s*(?:<([^>]*)>)?/g;

/**
 * The binding signature of `code` ('u' uniform, 'r' read-only storage, 'w' storage, by binding
 * index), or null when the shader does not fit the explicit layout (then 'auto' is used).
 */
export function bindingSignature(code: string): string | null {
	const kinds: string[] = [];
	let n = 0;
	for (const m of code.matchAll(BINDING_RE)) {
		n++;
		if (m[1] !== '0' || !m[3]) return null;
		const i = Number(m[2]);
		const parts = m[3].split(',').map((s) => s.trim());
		let kind: string;
		if (parts[0] === 'uniform') kind = 'u';
		else if (parts[0] === 'storage') kind = parts[1] === 'read_write' ? 'w' : 'r';
		else return null;
		if (kinds[i] !== undefined) return null;
		kinds[i] = kind;
	}
	// Every `@binding` must have been understood, densely numbered, with the params uniform at 0.
	if (n === 0 || n !== (code.match(/@binding\(/g) ?? []).length) return null;
	for (let i = 0; i < n; i++) if (kinds[i] === undefined) return null;
	if (kinds[0] !== 'u' || kinds.lastIndexOf('u') !== 0) return null;
	return kinds.join('');
}

function constantsKey(constants: OverrideConstants, entryPoint: string): string {
	const keys = Object.keys(constants);
	if (keys.length === 1) return `${entryPoint}|${keys[0]}=${constants[keys[0]]}`;
	return `${entryPoint}|${keys
		.sort()
		.map((k) => `${k}=${constants[k]}`)
		.join(',')}`;
}

export class PipelineCache {
	private readonly modules = new Map<string, GPUShaderModule>();
	/** WGSL source → (entry point + constants) → pipeline. The source string is hashed once. */
	private readonly byCode = new Map<string, Map<string, GPUComputePipeline>>();
	private readonly byVariant = new Map<string, GPUComputePipeline>();
	private readonly infos = new WeakMap<GPUComputePipeline, PipelineInfo>();
	private readonly layouts = new Map<string, { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout; id: number }>();
	private nextLayoutId = 1;
	private count = 0;

	constructor(private readonly device: GPUDevice) {}

	/** Returns the pipeline for `code` with `constants`, creating it on first use. */
	get(code: string, constants: OverrideConstants = {}, entryPoint = 'main'): GPUComputePipeline {
		let variants = this.byCode.get(code);
		if (!variants) {
			variants = new Map();
			this.byCode.set(code, variants);
		}
		const key = constantsKey(constants, entryPoint);
		let pipeline = variants.get(key);
		if (!pipeline) {
			pipeline = this.create(code, constants, entryPoint);
			variants.set(key, pipeline);
		}
		return pipeline;
	}

	/**
	 * The pipeline named by `key`, which must determine `render()`, `constants` and `entryPoint`
	 * (e.g. `matvec|q4|vec4|bias|rows|WG=64`): renders the WGSL only on the first call.
	 */
	variant(key: string, render: () => string, constants: OverrideConstants = {}, entryPoint = 'main'): GPUComputePipeline {
		let pipeline = this.byVariant.get(key);
		if (!pipeline) {
			pipeline = this.get(render(), constants, entryPoint);
			this.byVariant.set(key, pipeline);
		}
		return pipeline;
	}

	/** Group 0's layout of a pipeline from this cache. */
	info(pipeline: GPUComputePipeline): PipelineInfo {
		let info = this.infos.get(pipeline);
		if (!info) {
			// Not made here: fall back to the auto layout.
			info = { layout: pipeline.getBindGroupLayout(0), layoutId: this.nextLayoutId++, dynamicParams: false };
			this.infos.set(pipeline, info);
		}
		return info;
	}

	get size(): number {
		return this.count;
	}

	private create(code: string, constants: OverrideConstants, entryPoint: string): GPUComputePipeline {
		let module = this.modules.get(code);
		if (!module) {
			module = this.device.createShaderModule({ code });
			this.modules.set(code, module);
		}
		const sig = bindingSignature(code);
		const layout = sig ? this.layoutFor(sig) : null;
		const pipeline = this.device.createComputePipeline({
			layout: layout ? layout.pipeline : 'auto',
			compute: { module, entryPoint, constants }
		});
		this.count++;
		this.infos.set(
			pipeline,
			layout
				? { layout: layout.group, layoutId: layout.id, dynamicParams: true }
				: { layout: pipeline.getBindGroupLayout(0), layoutId: this.nextLayoutId++, dynamicParams: false }
		);
		return pipeline;
	}

	private layoutFor(sig: string): { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout; id: number } {
		let l = this.layouts.get(sig);
		if (!l) {
			const entries: GPUBindGroupLayoutEntry[] = [...sig].map((k, binding) => ({
				binding,
				visibility: COMPUTE_STAGE,
				buffer:
					k === 'u'
						? { type: 'uniform', hasDynamicOffset: true }
						: { type: k === 'w' ? 'storage' : 'read-only-storage' }
			}));
			const group = this.device.createBindGroupLayout({ entries, label: `group0-${sig}` });
			l = { group, pipeline: this.device.createPipelineLayout({ bindGroupLayouts: [group] }), id: this.nextLayoutId++ };
			this.layouts.set(sig, l);
		}
		return l;
	}
}
