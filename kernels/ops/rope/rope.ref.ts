/**
 * CPU reference of rotary position embeddings (RoPE), in float64.
 *
 *   T = tokens, H = heads, D = head dim, R = rotary dim (even, <= D), p0 = position of token 0
 *   x [T, H, D]; token t has position p = p0 + t; frequency i < R/2: f_i = theta^(-2i / R)
 *   (or a given invFreq, e.g. after Llama 3 rope scaling); angle a = p · f_i.
 *   Layout 'half' (HF rotate_half, GPT-NeoX): rotates the pair (x[i], x[i + R/2]).
 *   Layout 'pairs' (GGUF llama, Meta's original): rotates the pair (x[2i], x[2i + 1]).
 *   A pair (u, v) becomes (u cos a - v sin a, v cos a + u sin a). Features >= R pass through.
 */

/** The two element orders of rotary pairs. */
export type RopeLayout = 'half' | 'pairs';

/** Default inverse frequencies theta^(-2i/R), i < R/2. */
export function ropeInvFreq(rotaryDim: number, theta: number): Float64Array {
	return Float64Array.from({ length: rotaryDim / 2 }, (_, i) => theta ** ((-2 * i) / rotaryDim));
}

export function ropeRef(
	x: Float32Array,
	T: number,
	H: number,
	D: number,
	R: number,
	p0: number,
	layout: RopeLayout,
	invFreq: ArrayLike<number>
): Float32Array {
	const y = Float32Array.from(x);
	const half = R / 2;
	for (let t = 0; t < T; t++) {
		for (let h = 0; h < H; h++) {
			const base = (t * H + h) * D;
			for (let i = 0; i < half; i++) {
				const a = (p0 + t) * invFreq[i];
				const [c, s] = [Math.cos(a), Math.sin(a)];
				const [iu, iv] = layout === 'half' ? [i, i + half] : [2 * i, 2 * i + 1];
				const u = x[base + iu];
				const v = x[base + iv];
				y[base + iu] = u * c - v * s;
				y[base + iv] = v * c + u * s;
			}
		}
	}
	return y;
}
