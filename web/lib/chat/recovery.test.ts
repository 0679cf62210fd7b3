import { describe, expect, it } from 'vitest';
import type { ModelEntry } from '../engine/catalogue';
import { canRun, smallerModel } from './recovery';

const entry = (id: string, memoryBytes: number, requires: Partial<ModelEntry['requires']> = {}): ModelEntry => ({
	id,
	name: id,
	engine: 'oasis',
	description: '',
	license: 'Apache-2.0',
	sizeBytes: memoryBytes,
	memoryBytes,
	bundled: false,
	maxSeq: 2048,
	requires: { webgpu: true, shaderF16: false, ...requires }
});

const catalogue = [entry('big', 4e9), entry('mid-f16', 1e9, { shaderF16: true }), entry('mid', 8e8), entry('small', 1e8), entry('tiny-buffer-hungry', 5e7, { maxBufferBytes: 2e9 })];

describe('smallerModel', () => {
	it('offers the largest model below the current one that the device can run', () => {
		expect(smallerModel(catalogue, 'big', { webgpu: true, f16: true })?.id).toBe('mid-f16');
		expect(smallerModel(catalogue, 'big', { webgpu: true, f16: false })?.id).toBe('mid');
		expect(smallerModel(catalogue, 'mid', { webgpu: true, f16: false })?.id).toBe('small');
	});

	it('offers nothing when the current model is already the smallest that runs', () => {
		expect(smallerModel(catalogue, 'small', { webgpu: true, f16: false, maxBufferBytes: 1e9 })).toBeNull();
		expect(smallerModel(catalogue, 'small', { webgpu: false, f16: false })).toBeNull();
	});

	it('checks every requirement', () => {
		expect(canRun(entry('x', 1, { webgpu: false }), { webgpu: false, f16: false })).toBe(true);
		expect(canRun(entry('x', 1, { maxBufferBytes: 10 }), { webgpu: true, f16: false, maxBufferBytes: 9 })).toBe(false);
		expect(canRun(entry('x', 1, { maxBufferBytes: 10 }), { webgpu: true, f16: false })).toBe(true);
	});
});
