/**
 * Ops reject bad input before any GPU work, with a typed GpuError whose code says what kind of
 * fix is needed (invalid-input: the caller's shapes; missing-feature: pick another format;
 * limit-exceeded: split or shrink).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { testContext } from '../testing/context.js';
import { GpuError, type GpuErrorCode } from '../gpu/errors.js';
import { emptyTensor, tensorFrom, uploadWeight } from '../gpu/tensor.js';
import { toF16Array } from '../gpu/f16.js';
import { rmsnorm } from './rmsnorm/rmsnorm.js';
import { createRopeTable, rope } from './rope/rope.js';
import { softmax } from './softmax/softmax.js';
import { add } from './add/add.js';
import { siluMul } from './silu-mul/silu-mul.js';
import { embedding } from './embedding/embedding.js';
import { createKvCache, writeKv } from './attention/attention.js';
import { matvec } from './matvec/matvec.js';
import { sample } from './sampling/sampling.js';

const ctx = await testContext();
const noF16 = await testContext({ disableF16: true, disableSubgroups: true });
afterAll(() => {
	ctx.destroy();
	noF16.destroy();
});

function expectCode(fn: () => void, code: GpuErrorCode, message?: RegExp): void {
	try {
		fn();
	} catch (e) {
		expect(e).toBeInstanceOf(GpuError);
		expect((e as GpuError).code).toBe(code);
		if (message) expect((e as GpuError).message).toMatch(message);
		return;
	}
	expect.unreachable(`expected a GpuError '${code}'`);
}

describe('input checks', () => {
	it('shapes and aliasing', () => {
		const x = emptyTensor(ctx, [2, 8]);
		expectCode(() => rmsnorm(ctx, { x, weight: emptyTensor(ctx, [7]), out: emptyTensor(ctx, [2, 8]), eps: 1e-5 }), 'invalid-input', /weight/);
		expectCode(() => rmsnorm(ctx, { x, weight: emptyTensor(ctx, [8]), out: x, eps: 1e-5 }), 'invalid-input', /alias/);
		expectCode(() => softmax(ctx, { x, out: emptyTensor(ctx, [8, 2]) }), 'invalid-input', /shape/);
		expectCode(() => add(ctx, { a: x, b: emptyTensor(ctx, [16]) }), 'invalid-input');
		expectCode(() => siluMul(ctx, { gate: x, up: x, out: x }), 'invalid-input', /alias/);
		const ids = tensorFrom(ctx, Uint32Array.from([1]), [1]);
		const table = uploadWeight(ctx, 'f32', new Float32Array(4 * 8), 4, 8);
		expectCode(() => embedding(ctx, { ids, table, out: emptyTensor(ctx, [1, 7]) }), 'invalid-input');
		expectCode(() => embedding(ctx, { ids: emptyTensor(ctx, [1]), table, out: emptyTensor(ctx, [1, 8]) }), 'invalid-input', /dtype/);
	});

	it('rope: rotary dim and table length', () => {
		const table = createRopeTable(ctx, { rotaryDim: 16, theta: 1e4, maxPositions: 8 });
		expectCode(() => rope(ctx, { x: emptyTensor(ctx, [1, 1, 8]), table, pos0: 0, layout: 'half' }), 'invalid-input', /rotary dim/);
		expectCode(() => rope(ctx, { x: emptyTensor(ctx, [2, 1, 16]), table, pos0: 7, layout: 'half' }), 'invalid-input', /RopeTable/);
		expectCode(() => createRopeTable(ctx, { rotaryDim: 7, theta: 1e4, maxPositions: 8 }), 'invalid-input', /even/);
	});

	it('kv cache capacity', () => {
		const cache = createKvCache(ctx, 4, 2, 8);
		const k = emptyTensor(ctx, [2, 2, 8]);
		expectCode(() => writeKv(ctx, { cache, k, v: k, pos0: 3 }), 'invalid-input', /capacity/);
	});

	it('missing features', () => {
		const w16 = uploadWeight(ctx, 'f16', toF16Array(new Float32Array(8 * 8)), 8, 8);
		const x = emptyTensor(noF16, [1, 8]);
		expectCode(() => matvec(noF16, { x, w: w16, out: emptyTensor(noF16, [1, 8]) }), 'missing-feature', /f32/);
		const w = uploadWeight(noF16, 'f32', new Float32Array(8 * 8), 8, 8);
		expectCode(() => matvec(noF16, { x, w, out: emptyTensor(noF16, [1, 8]), variant: 'subgroup' }), 'missing-feature', /subgroups/);
		const weight = tensorFrom(noF16, new Float32Array(8), [8], 'f16');
		expectCode(() => rmsnorm(noF16, { x: emptyTensor(noF16, [1, 8]), weight, out: emptyTensor(noF16, [1, 8]), eps: 0 }), 'missing-feature');
	});

	it('sampling settings', () => {
		const logits = emptyTensor(ctx, [5]);
		const out = emptyTensor(ctx, [2], 'u32');
		expectCode(() => sample(ctx, { logits, params: { topK: 2.5 }, u: 0, out }), 'invalid-input', /topK/);
		expectCode(() => sample(ctx, { logits, params: { typicalP: 0 }, u: 0, out }), 'invalid-input', /typicalP/);
		expectCode(() => sample(ctx, { logits, params: { repetitionPenalty: 0 }, u: 0, out }), 'invalid-input', /repetitionPenalty/);
		expectCode(() => sample(ctx, { logits, params: {}, u: 0, out: emptyTensor(ctx, [2]) }), 'invalid-input', /dtype/);
	});
});
