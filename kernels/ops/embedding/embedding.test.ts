/**
 * Embedding lookup against embeddingRef for f32/f16/q8/q4 tables, split and unsplit.
 * Tolerance: exact for f32/f16 (copies); 1e-6 relative for q8/q4 (one dequantizing multiply-add
 * against the dequantized reference table).
 */
import { afterAll, describe, it } from 'vitest';
import { testContext } from '../../testing/context.js';
import { int, normal, rng } from '../../testing/rng.js';
import { expectClose } from '../../testing/compare.js';
import { makeWeight } from '../../testing/weights.js';
import { emptyTensor, tensorFrom, type WeightFormat } from '../../gpu/tensor.js';
import { readF32 } from '../../gpu/buffers.js';
import { embedding } from './embedding.js';
import { embeddingRef } from './embedding.ref.js';

const ctx = await testContext();
afterAll(() => ctx.destroy());

describe.each(['f32', 'f16', 'q8', 'q4'] as WeightFormat[])('embedding, %s table', (format) => {
	const exact = format === 'f32' || format === 'f16';
	const tol = exact ? { atol: 0, rtol: 0 } : { atol: 1e-6, rtol: 1e-6 };
	it.skipIf(format === 'f16' && !ctx.features.f16)('looks up rows, with the table split or not', async () => {
		const r = rng(format.length * 7 + 1);
		const dims = exact ? [1, 3, 8, 17, 64] : [32, 64, 96];
		for (const D of dims) {
			for (const split of [false, true]) {
				const V = int(r, 5, 60);
				const T = int(r, 1, 12);
				const bytesPerRow = format === 'f32' ? 4 * D : format === 'f16' ? 2 * D : format === 'q8' ? (36 * D) / 32 : (20 * D) / 32;
				const { weight, dense } = makeWeight(ctx, format, normal(r, V * D), V, D, split ? bytesPerRow * 4 : undefined);
				const ids = Uint32Array.from({ length: T }, () => int(r, 0, V - 1));
				ids[0] = V - 1;
				const out = emptyTensor(ctx, [T, D]);
				embedding(ctx, { ids: tensorFrom(ctx, ids, [T]), table: weight, out });
				expectClose(await readF32(ctx, out.buffer, T * D), embeddingRef(ids, dense, D), tol, `D=${D} split=${split}`);
			}
		}
	});
});
