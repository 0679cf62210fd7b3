import { describe, expect, it } from 'vitest';
import { allFinite, l2norm, meanOf, median, normLimit, outerNesterovStep } from './outer.js';

describe('outer Nesterov step', () => {
	it('matches a hand-computed two-round example', () => {
		// θ = [1, −2], two workers' deltas [0.2, 0.4] and [0.4, 0] → mean [0.3, 0.2], g = [−0.3, −0.2].
		// Round 1, μ = 0.9, η = 0.7, v = 0:
		//   v = [−0.3, −0.2];  g + μv = [−0.57, −0.38];  θ = [1 + 0.399, −2 + 0.266] = [1.399, −1.734]
		const params = Float32Array.from([1, -2]);
		const momentum = new Float32Array(2);
		outerNesterovStep(params, momentum, meanOf([Float32Array.from([0.2, 0.4]), Float32Array.from([0.4, 0])]), 0.7, 0.9);
		expect(Array.from(momentum)).toEqual([Math.fround(-0.3), Math.fround(-0.2)].map((x) => expect.closeTo(x, 6)));
		expect(params[0]).toBeCloseTo(1.399, 6);
		expect(params[1]).toBeCloseTo(-1.734, 6);
		// Round 2, mean delta [0.1, −0.1] → g = [−0.1, 0.1]:
		//   v = 0.9·[−0.3, −0.2] + [−0.1, 0.1] = [−0.37, −0.08];  g + μv = [−0.433, 0.028]
		//   θ = [1.399 + 0.3031, −1.734 − 0.0196] = [1.7021, −1.7536]
		outerNesterovStep(params, momentum, Float32Array.from([0.1, -0.1]), 0.7, 0.9);
		expect(momentum[0]).toBeCloseTo(-0.37, 6);
		expect(momentum[1]).toBeCloseTo(-0.08, 6);
		expect(params[0]).toBeCloseTo(1.7021, 5);
		expect(params[1]).toBeCloseTo(-1.7536, 5);
	});

	it('with η = 1 and μ = 0 it averages the workers’ models', () => {
		const params = Float32Array.from([3, 4]);
		outerNesterovStep(params, new Float32Array(2), Float32Array.from([1, -1]), 1, 0);
		expect(Array.from(params)).toEqual([4, 3]);
	});

	it('refuses vectors of different lengths', () => {
		expect(() => outerNesterovStep(new Float32Array(2), new Float32Array(3), new Float32Array(2), 1, 0)).toThrow(RangeError);
		expect(() => meanOf([new Float32Array(2), new Float32Array(3)])).toThrow(RangeError);
	});
});

describe('robust statistics', () => {
	it('norm, finiteness and median', () => {
		expect(l2norm(Float32Array.from([3, 4]))).toBe(5);
		expect(allFinite(Float32Array.from([1, Number.NaN]))).toBe(false);
		expect(allFinite(Float32Array.from([1, 2]))).toBe(true);
		expect(median([5, 1, 3])).toBe(3);
		expect(median([4, 1, 3, 2])).toBe(2.5);
	});

	it('the norm limit waits for a warm-up, then is k × the median', () => {
		expect(normLimit([1, 2], 5, 3)).toBeNull();
		expect(normLimit([1, 2, 100], 5, 3)).toBe(10); // one huge accepted norm does not move the median much
	});
});
