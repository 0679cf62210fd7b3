/**
 * CPU reference of qkvPost, in float64 (through rmsnormRef and ropeRef).
 *
 *   T tokens at positions p0 + t; Hq query heads, Hkv kv heads, head dim D, rotary dim R
 *   qkv [T, (Hq + 2·Hkv)·D]: per token, q heads then k heads then v heads
 *   q = rope(norm_q(q heads)), k = rope(norm_k(k heads)), v = v heads (norms optional, per head)
 *   returns q [T, Hq, D] and the cache rows k, v [T, Hkv, D] for positions p0 .. p0 + T - 1
 */
import { rmsnormRef } from '../rmsnorm/rmsnorm.ref.js';
import { ropeRef, type RopeLayout } from '../rope/rope.ref.js';

export function qkvPostRef(
	qkv: Float32Array,
	o: {
		T: number;
		Hq: number;
		Hkv: number;
		D: number;
		R: number;
		p0: number;
		layout: RopeLayout;
		invFreq: ArrayLike<number>;
		qkNorm?: { q: Float32Array; k: Float32Array; eps: number };
	}
): { q: Float32Array; k: Float32Array; v: Float32Array } {
	const { T, Hq, Hkv, D } = o;
	const width = (Hq + 2 * Hkv) * D;
	const heads = (h0: number, H: number) => {
		const out = new Float32Array(T * H * D);
		for (let t = 0; t < T; t++) out.set(qkv.subarray(t * width + h0 * D, t * width + (h0 + H) * D), t * H * D);
		return out;
	};
	let q: Float32Array = heads(0, Hq);
	let k: Float32Array = heads(Hq, Hkv);
	const v = heads(Hq + Hkv, Hkv);
	if (o.qkNorm) {
		q = rmsnormRef(q, o.qkNorm.q, T * Hq, D, o.qkNorm.eps);
		k = rmsnormRef(k, o.qkNorm.k, T * Hkv, D, o.qkNorm.eps);
	}
	return {
		q: ropeRef(q, T, Hq, D, o.R, o.p0, o.layout, o.invFreq),
		k: ropeRef(k, T, Hkv, D, o.R, o.p0, o.layout, o.invFreq),
		v
	};
}
