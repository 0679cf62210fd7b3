/** Seeded random numbers for tests and benchmarks, so failures reproduce. */

/** mulberry32: a small, fast, seedable PRNG returning floats in [0, 1). */
export function rng(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

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
