import { describe, expect, it } from 'vitest';
import { EngineError, toEngineError } from './errors';

class GpuError extends Error {
	override name = 'GpuError';
	constructor(
		readonly code: string,
		message: string
	) {
		super(message);
	}
}

describe('toEngineError', () => {
	it('reads a lost device from the kernels and from what WebGPU calls throw after a GPU crash', () => {
		expect(toEngineError(new GpuError('device-lost', 'gone')).code).toBe('device-lost');
		// Chromium after a GPU process crash, before device.lost resolves.
		const crash = new DOMException("Failed to execute 'mapAsync' on 'GPUBuffer': A valid external Instance reference no longer exists.", 'OperationError');
		const e = toEngineError(crash);
		expect(e).toBeInstanceOf(EngineError);
		expect(e.code).toBe('device-lost');
		expect(e.remedy).toBe('reload');
		expect(e.message).toMatch(/Your chat is saved/);
		expect(toEngineError(new Error('Device is lost')).code).toBe('device-lost');
	});

	it('reads out-of-memory and offers a smaller model', () => {
		const e = toEngineError(new GpuError('gpu-validation', 'WebGPU reported: Out of memory'));
		expect(e.code).toBe('out-of-memory');
		expect(e.remedy).toBe('smaller-model');
		expect(toEngineError(new RangeError('Array buffer allocation failed')).code).toBe('out-of-memory');
		expect(toEngineError(new Error('something else')).code).toBe('internal');
	});
});
