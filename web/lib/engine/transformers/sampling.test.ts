import { describe, expect, it } from 'vitest';
import { filterBatch, filterLogits } from './sampling';

const probs = (p: number[]) => Float32Array.from(p, Math.log);

describe('filterLogits', () => {
	it('keeps the smallest nucleus whose mass reaches top_p', () => {
		const row = probs([0.1, 0.5, 0.25, 0.15]);
		filterLogits(row, 0.7, 0);
		// 0.5 + 0.25 = 0.75 >= 0.7: tokens 1 and 2 stay.
		expect(Array.from(row, (v) => v !== -Infinity)).toEqual([false, true, true, false]);
	});

	it('drops tokens below min_p × the top probability, and always keeps one', () => {
		const row = probs([0.1, 0.5, 0.25, 0.15]);
		filterLogits(row, 1, 0.4);
		expect(Array.from(row, (v) => v !== -Infinity)).toEqual([false, true, true, false]);
		const one = probs([0.9, 0.1]);
		filterLogits(one, 0.01, 0);
		expect(Array.from(one, (v) => v !== -Infinity)).toEqual([true, false]);
	});

	it('leaves logits alone when neither filter is on, and filters each row of a batch', () => {
		const row = probs([0.2, 0.8]);
		const before = Array.from(row);
		filterLogits(row, 1, 0);
		expect(Array.from(row)).toEqual(before);
		const batch = Float32Array.from([...probs([0.6, 0.4]), ...probs([0.3, 0.7])]);
		filterBatch(batch, 2, 0.5, 0);
		expect(Array.from(batch, (v) => v !== -Infinity)).toEqual([true, false, false, true]);
	});
});
