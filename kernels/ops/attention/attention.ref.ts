/**
 * CPU reference of causal grouped-query attention over a KV cache, in float64.
 *
 *   T = new query tokens, p0 = tokens already cached (token t sits at position p0 + t)
 *   Hq = query heads, Hkv = key/value heads (Hq % Hkv == 0; query head h reads kv head
 *   h / (Hq / Hkv)), D = head dim, S = cache capacity (positions)
 *   q [T, Hq, D]; kCache, vCache [S, Hkv, D] (position-major), already holding positions
 *   0 .. p0 + T - 1; out [T, Hq, D]
 *   out[t, h] = sum_{j <= p0 + t} softmax_j(q[t, h] · k[j, kvh] / sqrt(D)) · v[j, kvh]
 */
export function attentionRef(
	q: Float32Array,
	kCache: Float32Array,
	vCache: Float32Array,
	T: number,
	p0: number,
	Hq: number,
	Hkv: number,
	D: number
): Float32Array {
	const out = new Float32Array(T * Hq * D);
	const group = Hq / Hkv;
	const scale = 1 / Math.sqrt(D);
	for (let t = 0; t < T; t++) {
		for (let h = 0; h < Hq; h++) {
			const kvh = Math.floor(h / group);
			const n = p0 + t + 1;
			const s = new Float64Array(n);
			let m = -Infinity;
			for (let j = 0; j < n; j++) {
				let dot = 0;
				for (let d = 0; d < D; d++) dot += q[(t * Hq + h) * D + d] * kCache[(j * Hkv + kvh) * D + d];
				s[j] = dot * scale;
				m = Math.max(m, s[j]);
			}
			let sum = 0;
			for (let j = 0; j < n; j++) sum += (s[j] = Math.exp(s[j] - m));
			for (let d = 0; d < D; d++) {
				let acc = 0;
				for (let j = 0; j < n; j++) acc += s[j] * vCache[(j * Hkv + kvh) * D + d];
				out[(t * Hq + h) * D + d] = acc / sum;
			}
		}
	}
	return out;
}
