/** A small seeded PRNG (mulberry32) for sampling draws and random test/tiny-model weights. */

/** Returns uniform floats in [0, 1), reproducible for a given seed. */
export function seededRandom(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** Normal(0, scale) floats (Box-Muller). */
export function randomNormal(rand: () => number, n: number, scale = 1): Float32Array {
	const out = new Float32Array(n);
	for (let i = 0; i < n; i++) {
		const u = Math.max(rand(), 1e-12);
		out[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
	}
	return out;
}
