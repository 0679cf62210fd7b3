/** The GPU layer: device request, typed errors, f16 conversion, buffers, pipeline cache, batches. */
import { afterAll, describe, expect, it } from 'vitest';
import { testContext } from '../testing/context.js';
import { requestGpuContext } from './context.js';
import { GpuError } from './errors.js';
import { f16BitsToF32, f32ToF16Bits, f16Round } from './f16.js';
import { readF16, readF32, readU32, uploadBuffer } from './buffers.js';
import { Batch, grid } from './batch.js';
import { bindingSignature } from './pipelines.js';
import { createStorage } from './buffers.js';
import { emptyTensor, tensorFrom, uploadWeight, view } from './tensor.js';
import { add } from '../ops/add/add.js';

const ctx = await testContext();
afterAll(() => ctx.destroy());

describe('requestGpuContext', () => {
	it('fails with actionable typed errors without WebGPU or an adapter', async () => {
		await expect(requestGpuContext(undefined)).rejects.toMatchObject({ code: 'no-webgpu' });
		const noAdapter = { requestAdapter: async () => null } as unknown as GPU;
		await expect(requestGpuContext(noAdapter)).rejects.toMatchObject({ code: 'no-adapter', message: /lavapipe/ });
	});

	it('exposes adapter info, features and the adapter maximum limits', () => {
		expect(ctx.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
		expect(ctx.limits.maxComputeWorkgroupStorageSize).toBeGreaterThanOrEqual(16 * 1024);
		expect(typeof ctx.info.vendor).toBe('string');
		expect(ctx.featureList().includes('shader-f16')).toBe(ctx.features.f16);
		if (ctx.features.subgroups) expect(ctx.features.subgroupMinSize).toBeGreaterThan(0);
	});

	it('can leave out optional features and lower limits', async () => {
		const c = await testContext({ disableF16: true, disableSubgroups: true, limitOverrides: { maxStorageBufferBindingSize: 4096 } });
		try {
			expect(c.features.f16).toBe(false);
			expect(c.features.subgroups).toBe(false);
			expect(c.limits.maxStorageBufferBindingSize).toBe(4096);
			const w = uploadWeight(c, 'f32', new Float32Array(100 * 32), 100, 32);
			expect(w.parts.map((p) => p.rows)).toEqual([32, 32, 32, 4]);
		} finally {
			c.destroy();
		}
	});
});

describe('f16 conversion', () => {
	it('encodes known values', () => {
		expect(f32ToF16Bits(1)).toBe(0x3c00);
		expect(f32ToF16Bits(-2)).toBe(0xc000);
		expect(f32ToF16Bits(65504)).toBe(0x7bff);
		expect(f32ToF16Bits(65520)).toBe(0x7c00); // rounds to inf
		expect(f32ToF16Bits(2 ** -24)).toBe(1); // smallest subnormal
		expect(f32ToF16Bits(2 ** -26)).toBe(0);
		expect(f16Round(1 + 2 ** -11)).toBe(1); // tie to even
		expect(f16Round(1 + 3 * 2 ** -11)).toBe(1 + 2 ** -9);
	});

	it('round-trips every non-NaN f16 bit pattern', () => {
		const bad: number[] = [];
		for (let h = 0; h < 0x10000; h++) {
			const v = f16BitsToF32(h);
			if (!Number.isNaN(v) && f32ToF16Bits(v) !== h) bad.push(h);
		}
		expect(bad).toEqual([]);
	});
});

describe('buffers and batches', () => {
	it('uploads and reads back f32, u32 and odd-length f16', async () => {
		const f = Float32Array.from([1.5, -2, 3e-8]);
		expect(await readF32(ctx, uploadBuffer(ctx, f), 3)).toEqual(f);
		const u = Uint32Array.from([0, 1, 0xffffffff]);
		expect(await readU32(ctx, uploadBuffer(ctx, u), 3)).toEqual(u);
		const h = tensorFrom(ctx, Float32Array.from([0.5, 1, 1.5]), [3], 'f16');
		expect(Array.from(await readF16(ctx, h.buffer, 3))).toEqual([0.5, 1, 1.5]);
	});

	it('views a tensor with another shape of the same size', () => {
		const t = emptyTensor(ctx, [2, 3, 4]);
		expect(view(t, [6, 4])).toMatchObject({ buffer: t.buffer, shape: [6, 4], dtype: 'f32' });
		expect(() => view(t, [5, 4])).toThrow(GpuError);
	});

	it('caches pipelines by source and constants', () => {
		const code = '@group(0) @binding(0) var<storage, read_write> a: array<f32>; override WG: u32 = 1u;\n@compute @workgroup_size(WG) fn main() { a[0] = 1.0; }';
		const n = ctx.pipelines.size;
		const p1 = ctx.pipelines.get(code, { WG: 32 });
		expect(ctx.pipelines.get(code, { WG: 32 })).toBe(p1);
		expect(ctx.pipelines.get(code, { WG: 64 })).not.toBe(p1);
		expect(ctx.pipelines.size).toBe(n + 2);
	});

	it('runs many dispatches in one batch (several uniform chunks)', async () => {
		const n = 5;
		const a = tensorFrom(ctx, new Float32Array(n), [n]);
		const one = tensorFrom(ctx, new Float32Array(n).fill(1), [n]);
		const b = new Batch(ctx);
		for (let i = 0; i < 150; i++) add(ctx, { a, b: one }, b);
		b.submit();
		expect(Array.from(await readF32(ctx, a.buffer, n))).toEqual(new Array(n).fill(150));
		expect(() => b.submit()).toThrow(GpuError);
	});

	it('reads binding signatures for explicit layouts, else falls back to auto', () => {
		const u = '@group(0) @binding(0) var<uniform> p: P;\n';
		expect(bindingSignature(`${u}@group(0) @binding(1) var<storage, read> a: array<f32>;\n@group(0) @binding(2) var<storage, read_write> b: array<f32>;`)).toBe('urw');
		expect(bindingSignature('@group(0) @binding(0) var<storage, read_write> a: array<f32>;')).toBeNull();
		expect(bindingSignature(`${u}@group(1) @binding(1) var<storage, read> a: array<f32>;`)).toBeNull();
		expect(bindingSignature(`${u}@group(0) @binding(2) var<storage, read> a: array<f32>;`)).toBeNull();
	});

	it('reuses bind groups and pipelines across batches; params stay per dispatch', async () => {
		const n = 7;
		const a = tensorFrom(ctx, new Float32Array(n), [n]);
		const one = tensorFrom(ctx, new Float32Array(n).fill(1), [n]);
		const pipelines = ctx.pipelines.size;
		const step = () => {
			const b = new Batch(ctx);
			add(ctx, { a, b: one }, b);
			add(ctx, { a: { ...a, shape: [n - 2] }, b: { ...one, shape: [n - 2] } }, b);
			b.submit();
		};
		step();
		const created = ctx.bindings.created;
		for (let i = 0; i < 3; i++) step();
		expect(ctx.bindings.created).toBe(created);
		expect(ctx.pipelines.size).toBe(pipelines);
		// The second add covers n - 2 elements: its own params (n) were used.
		expect(Array.from(await readF32(ctx, a.buffer, n))).toEqual([8, 8, 8, 8, 8, 4, 4]);
	});

	it('counts live and peak device memory', () => {
		const live = ctx.memory.liveBytes;
		ctx.resetPeakMemory();
		const buf = createStorage(ctx, 1000);
		expect(ctx.memory.liveBytes).toBe(live + 1000);
		buf.destroy();
		buf.destroy();
		expect(ctx.memory.liveBytes).toBe(live);
		expect(ctx.memory.peakBytes).toBe(live + 1000);
	});

	it('spreads large dispatches over two grid dimensions', async () => {
		const c = await testContext({ limitOverrides: { maxComputeWorkgroupsPerDimension: 4 } });
		try {
			expect(grid(c, 10)).toEqual([4, 3]);
			const n = 64 * 10 - 3;
			const a = tensorFrom(c, Float32Array.from({ length: n }, (_, i) => i), [n]);
			const out = emptyTensor(c, [n]);
			add(c, { a, b: tensorFrom(c, new Float32Array(n).fill(1), [n]), out });
			const got = await readF32(c, out.buffer, n);
			expect(got.every((v, i) => v === i + 1)).toBe(true);
		} finally {
			c.destroy();
		}
	});
});
