/** Seeded random numbers for tests and benchmarks, so failures reproduce. */

import { seededRandom } from '../models/random.js';

/** mulberry32: a small, fast, seedable PRNG returning floats in [0, 1). */
export const rng: (seed: number) => () => number = seededRandom;

/** Uniform floats in [lo, hi). */
export function uniform(rand: () => number, n: number, lo = -1, hi = 1): Float32Array {
	const out = new Float32Array(n);
	for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rand();
	return out;
}

/** Standard normal floats (Box-Muller) times `scale`. */
export function normal(rand: () => number, n: number, scale = 1): Float32Array {
	const out = new Float32Array(n);
	for (let i = 0; i < n; i++) {
		const u = Math.max(rand(), 1e-12);
		out[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
	}
	return out;
}

/** An integer in [lo, hi]. */
export function int(rand: () => number, lo: number, hi: number): number {
	return lo + Math.floor(rand() * (hi - lo + 1));
}
