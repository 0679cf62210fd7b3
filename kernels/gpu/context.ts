/**
 * Adapter/device acquisition and the `GpuContext` every op takes.
 * Platform-neutral: pass `navigator.gpu` in a browser or `createNodeGpu()` (./node.ts) in Node.
 */
import { GpuError } from './errors.js';
import { BindingCache } from './bindings.js';
import { PipelineCache } from './pipelines.js';

/** Optional features an op may use; each has a portable fallback. */
export interface GpuFeatures {
	/** `shader-f16`: f16 weights and arithmetic in WGSL. Missing on SwiftShader. */
	readonly f16: boolean;
	/** `subgroups`: subgroup reductions. Size varies (4 SwiftShader, 8 lavapipe, 32/64 GPUs). */
	readonly subgroups: boolean;
	/** `timestamp-query`: GPU-side timing for benchmarks. */
	readonly timestampQuery: boolean;
	readonly subgroupMinSize: number;
	readonly subgroupMaxSize: number;
}

/** The limits ops check before dispatch (the effective ones; see `limitOverrides`). */
export interface GpuLimits {
	readonly maxStorageBufferBindingSize: number;
	readonly maxBufferSize: number;
	readonly maxComputeWorkgroupStorageSize: number;
	readonly maxComputeInvocationsPerWorkgroup: number;
	readonly maxComputeWorkgroupSizeX: number;
	readonly maxComputeWorkgroupsPerDimension: number;
	readonly maxStorageBuffersPerShaderStage: number;
}

/** What the adapter says about itself. */
export interface AdapterSummary {
	readonly vendor: string;
	readonly architecture: string;
	readonly device: string;
	readonly description: string;
	readonly isFallbackAdapter: boolean;
	/** Software rasterizers (lavapipe, SwiftShader) favour different kernel variants. */
	readonly isCpu: boolean;
}

/** Options for {@link requestGpuContext}. */
export interface GpuContextOptions {
	powerPreference?: GPUPowerPreference;
	/** Do not request `shader-f16` even if available (to test the f32 paths). */
	disableF16?: boolean;
	/** Do not request `subgroups` even if available. */
	disableSubgroups?: boolean;
	/** Fail with `missing-feature` unless the adapter has these. */
	requireFeatures?: readonly ('shader-f16' | 'subgroups')[];
	/**
	 * Lower the limits the ops respect (not the device's own), e.g. a tiny
	 * maxStorageBufferBindingSize to exercise weight splitting in tests.
	 */
	limitOverrides?: Partial<GpuLimits>;
}

/** Counters, e.g. for the CLI's `dispatches` field. */
export interface GpuStats {
	dispatches: number;
	submits: number;
}

/** Device buffers created through this context's device (benchmarks: memory vs weights + KV). */
export interface GpuMemoryStats {
	/** Bytes of buffers created and not yet destroyed. */
	liveBytes: number;
	/** Highest `liveBytes` since the last {@link GpuContext.resetPeakMemory}. */
	peakBytes: number;
	liveBuffers: number;
}

/** A device plus what ops need to choose and validate kernels. */
export class GpuContext {
	readonly pipelines: PipelineCache;
	readonly stats: GpuStats = { dispatches: 0, submits: 0 };
	readonly memory: GpuMemoryStats = { liveBytes: 0, peakBytes: 0, liveBuffers: 0 };
	readonly bindings: BindingCache;
	private readonly errors: string[] = [];
	private lostMessage: string | null = null;

	constructor(
		readonly device: GPUDevice,
		readonly info: AdapterSummary,
		readonly features: GpuFeatures,
		readonly limits: GpuLimits
	) {
		trackBuffers(device, this.memory);
		this.pipelines = new PipelineCache(device);
		this.bindings = new BindingCache(device);
		// Validation errors are asynchronous in WebGPU; keep them so readback can surface them.
		device.addEventListener('uncapturederror', (ev) => {
			this.errors.push((ev as GPUUncapturedErrorEvent).error.message);
		});
		void device.lost.then((info) => {
			if (info.reason !== 'destroyed') this.lostMessage = info.message || 'unknown reason';
		});
	}

	/**
	 * Throws `device-lost` if the device is gone (driver reset, GPU process crash: create a new
	 * context), or `gpu-validation` if the device reported errors since the last call.
	 */
	throwIfErrors(): void {
		if (this.lostMessage !== null) {
			throw new GpuError('device-lost', `The WebGPU device was lost (${this.lostMessage}); request a new context.`);
		}
		if (this.errors.length === 0) return;
		const msg = this.errors.splice(0).join('\n');
		throw new GpuError('gpu-validation', `WebGPU reported: ${msg}`);
	}

	/** Feature names, as strings, e.g. for reports. */
	featureList(): string[] {
		return [...this.device.features].map(String).sort();
	}

	/** Starts a new peak-memory window at the current live bytes. */
	resetPeakMemory(): void {
		this.memory.peakBytes = this.memory.liveBytes;
	}

	destroy(): void {
		this.bindings.destroy();
		this.device.destroy();
	}
}

/**
 * Counts the bytes of every buffer `device` creates until it is destroyed, by wrapping
 * `createBuffer` and each buffer's `destroy` (a buffer dropped without `destroy` counts until
 * the device goes). No-op where the objects cannot be extended.
 */
function trackBuffers(device: GPUDevice, m: GpuMemoryStats): void {
	try {
		const create = device.createBuffer.bind(device);
		device.createBuffer = (desc: GPUBufferDescriptor): GPUBuffer => {
			const buf = create(desc);
			const size = Number(buf.size);
			m.liveBytes += size;
			m.liveBuffers++;
			if (m.liveBytes > m.peakBytes) m.peakBytes = m.liveBytes;
			const destroy = buf.destroy.bind(buf);
			let live = true;
			buf.destroy = (): undefined => {
				if (live) {
					live = false;
					m.liveBytes -= size;
					m.liveBuffers--;
				}
				return destroy();
			};
			return buf;
		};
	} catch {
		// Frozen platform objects: no accounting.
	}
}

const LIMIT_NAMES = [
	'maxStorageBufferBindingSize',
	'maxBufferSize',
	'maxComputeWorkgroupStorageSize',
	'maxComputeInvocationsPerWorkgroup',
	'maxComputeWorkgroupSizeX',
	'maxComputeWorkgroupsPerDimension',
	'maxStorageBuffersPerShaderStage'
] as const;

/**
 * Requests an adapter and a device with every optional feature we can use and the adapter's
 * maximum limits (the defaults are far lower: 128 MiB bindings, 16 KiB workgroup storage).
 */
export async function requestGpuContext(
	gpu: GPU | undefined,
	options: GpuContextOptions = {}
): Promise<GpuContext> {
	if (!gpu) {
		throw new GpuError(
			'no-webgpu',
			'WebGPU is not available. Use a browser with WebGPU (Chrome/Edge 113+, or Chromium with ' +
				'--enable-unsafe-webgpu) or, in Node, createNodeGpu() from kernels/gpu/node.ts.'
		);
	}
	const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference });
	if (!adapter) {
		throw new GpuError(
			'no-adapter',
			'No WebGPU adapter. In Node on Linux install Mesa >= 24 lavapipe (mesa-vulkan-drivers ' +
				'from bookworm-backports) and point VK_ICD_FILENAMES at lvp_icd.json; in a browser, ' +
				'check chrome://gpu.'
		);
	}
	const has = (f: GPUFeatureName) => adapter.features.has(f);
	for (const f of options.requireFeatures ?? []) {
		if (!has(f)) throw new GpuError('missing-feature', `The adapter lacks required feature '${f}'.`);
	}
	const wanted: GPUFeatureName[] = [];
	if (has('shader-f16') && !options.disableF16) wanted.push('shader-f16');
	if (has('subgroups') && !options.disableSubgroups) wanted.push('subgroups');
	if (has('timestamp-query')) wanted.push('timestamp-query');

	const requiredLimits: Record<string, number> = {};
	for (const name of LIMIT_NAMES) requiredLimits[name] = adapter.limits[name];

	const device = await adapter.requestDevice({ requiredFeatures: wanted, requiredLimits });
	const ai = adapter.info;
	const info: AdapterSummary = {
		vendor: ai.vendor,
		architecture: ai.architecture,
		device: ai.device,
		description: ai.description,
		isFallbackAdapter: ai.isFallbackAdapter ?? false,
		isCpu:
			(ai.isFallbackAdapter ?? false) ||
			ai.architecture === 'software' ||
			/swiftshader|llvmpipe|lavapipe/i.test(`${ai.description} ${ai.device}`)
	};
	const features: GpuFeatures = {
		f16: device.features.has('shader-f16'),
		subgroups: device.features.has('subgroups'),
		timestampQuery: device.features.has('timestamp-query'),
		subgroupMinSize: ai.subgroupMinSize ?? 0,
		subgroupMaxSize: ai.subgroupMaxSize ?? 0
	};
	const limits = {} as Record<(typeof LIMIT_NAMES)[number], number>;
	for (const name of LIMIT_NAMES) {
		const override = options.limitOverrides?.[name];
		limits[name] = Math.min(device.limits[name], override ?? Infinity);
	}
	return new GpuContext(device, info, features, limits);
}
