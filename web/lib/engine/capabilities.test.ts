import { describe, expect, it } from 'vitest';
import type { ModelEntry } from './catalogue';
import { setLocale } from '../i18n';
import { checkModel, formatBytes, probeDevice, type DeviceCaps } from './capabilities';

const MiB = 1 << 20;
const GiB = 1 << 30;

const gpu: DeviceCaps = {
	webgpu: true,
	adapter: true,
	adapterName: 'Test GPU',
	shaderF16: true,
	subgroups: true,
	maxStorageBufferBindingSize: 2 * GiB,
	maxBufferSize: 4 * GiB,
	deviceMemoryGiB: 8,
	storageQuota: 10 * GiB,
	storageUsage: 1 * GiB
};

function entry(over: Partial<ModelEntry> = {}): ModelEntry {
	return {
		id: 'm',
		name: 'M',
		engine: 'oasis',
		description: '',
		license: 'MIT',
		sizeBytes: 500 * MiB,
		memoryBytes: 700 * MiB,
		bundled: false,
		maxSeq: 2048,
		requires: { webgpu: true, shaderF16: false },
		...over
	};
}

describe('checkModel', () => {
	it('passes a model the device can run', () => {
		expect(checkModel(entry({ requires: { webgpu: true, shaderF16: true, maxBufferBytes: GiB } }), gpu)).toEqual({ ok: true, reasons: [] });
	});

	it('says when WebGPU is missing or has no adapter, but lets WASM models through', () => {
		const none = { ...gpu, webgpu: false, adapter: false };
		expect(checkModel(entry(), none).reasons).toEqual(['WebGPU is not available in this browser — models that run on WASM are offered instead.']);
		expect(checkModel(entry(), { ...gpu, adapter: false }).reasons[0]).toMatch(/found no usable GPU/);
		expect(checkModel(entry({ engine: 'transformers', requires: { webgpu: false, shaderF16: false } }), none).ok).toBe(true);
	});

	it('names a missing shader-f16 and a buffer larger than the device allows, with both sizes', () => {
		const small = { ...gpu, shaderF16: false, maxStorageBufferBindingSize: 256 * MiB };
		const r = checkModel(entry({ requires: { webgpu: true, shaderF16: true, maxBufferBytes: 1.2 * GiB } }), small);
		expect(r.ok).toBe(false);
		expect(r.reasons).toEqual(['Needs shader-f16, which this GPU does not offer.', 'Needs about 1.2 GB of GPU buffer, this device allows 256 MB.']);
		// The smaller of the two limits counts.
		expect(checkModel(entry({ requires: { webgpu: true, shaderF16: false, maxBufferBytes: 3 * GiB } }), { ...gpu, maxStorageBufferBindingSize: 4 * GiB, maxBufferSize: 2 * GiB }).reasons).toEqual([
			'Needs about 3 GB of GPU buffer, this device allows 2 GB.'
		]);
	});

	it('rules out a model larger than the reported device memory, unless the report is at its 8 GB cap', () => {
		expect(checkModel(entry({ memoryBytes: 3 * GiB }), { ...gpu, deviceMemoryGiB: 2 }).reasons).toEqual(['Needs about 3 GB of memory, this device has 2 GB.']);
		expect(checkModel(entry({ memoryBytes: 12 * GiB }), gpu).ok).toBe(true);
		expect(checkModel(entry({ memoryBytes: 12 * GiB }), { ...gpu, deviceMemoryGiB: undefined }).ok).toBe(true);
	});

	it('counts storage still needed, less what is already stored, and skips bundled models', () => {
		const tight = { ...gpu, storageQuota: 1 * GiB, storageUsage: 700 * MiB };
		expect(checkModel(entry({ sizeBytes: 500 * MiB }), tight).reasons).toEqual(['Needs 500 MB of storage, this browser lets the app use 324 MB more.']);
		expect(checkModel(entry({ sizeBytes: 500 * MiB }), tight, { storedBytes: 300 * MiB }).ok).toBe(true);
		expect(checkModel(entry({ sizeBytes: 500 * MiB, bundled: true }), tight).ok).toBe(true);
	});
});

describe('probeDevice', () => {
	it('reads features, limits, device memory and the storage estimate', async () => {
		const caps = await probeDevice({
			gpu: {
				requestAdapter: async () =>
					({
						info: { vendor: 'acme', description: '' },
						features: new Set(['shader-f16']),
						limits: { maxStorageBufferBindingSize: 128 * MiB, maxBufferSize: 256 * MiB }
					}) as unknown as GPUAdapter
			},
			deviceMemory: 4,
			storage: { estimate: async () => ({ quota: 100, usage: 10 }) }
		});
		expect(caps).toEqual({
			webgpu: true,
			adapter: true,
			adapterName: 'acme',
			shaderF16: true,
			subgroups: false,
			maxStorageBufferBindingSize: 128 * MiB,
			maxBufferSize: 256 * MiB,
			deviceMemoryGiB: 4,
			storageQuota: 100,
			storageUsage: 10
		});
	});

	it('reads a failing adapter request as no adapter, and Node (no WebGPU) as no WebGPU', async () => {
		const caps = await probeDevice({ gpu: { requestAdapter: () => Promise.reject(new Error('GPU process crashed')) } });
		expect(caps.webgpu && !caps.adapter).toBe(true);
		expect((await probeDevice({})).webgpu).toBe(false);
	});
});

describe('formatBytes', () => {
	it('uses binary units with one decimal under 10', () => {
		expect([900, 3.5 * MiB, 256 * MiB, 1.2 * GiB, 2 * GiB, 12.4 * GiB].map(formatBytes)).toEqual(['900 B', '3.5 MB', '256 MB', '1.2 GB', '2 GB', '12 GB']);
	});

	it('writes the decimal sign of the interface language, and so do the reasons', () => {
		setLocale('de', false);
		try {
			expect([1.2 * GiB, 3.5 * MiB, 1000].map(formatBytes)).toEqual(['1,2 GB', '3,5 MB', '1000 B']);
			const check = checkModel(entry({ requires: { webgpu: true, shaderF16: true } }), { ...gpu, shaderF16: false });
			expect(check.reasons).toEqual(['Braucht shader-f16, das diese GPU nicht bietet.']);
		} finally {
			setLocale('en', false);
		}
	});
});
