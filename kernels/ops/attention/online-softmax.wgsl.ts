/**
 * The WGSL shared by the attention kernels (./attention.wgsl.ts, ./attention-decode.wgsl.ts):
 * the key range of a workgroup, the online-softmax walk over its keys in chunks of WG, the
 * output write, and RoPE of a head held in shared memory. One source, so prefill and decode
 * attention fold probabilities in the same order.
 */

/** full: one workgroup per query, normalized output; partial: per key split, unnormalized. */
export type AttentionMode = 'full' | 'partial';

/** The "minus infinity" of the walk (declare once per kernel that uses {@link onlineSoftmax}). */
export const NEG_BIG = `const NEG_BIG = -3.0e38; // finite "-inf": exp(NEG_BIG - m) = 0 without inf - inf = NaN`;

/** `k0`/`k1`: the keys [k0, k1) this workgroup visits, of `nKeys` (split `split` of `splits`). */
export function attentionRange(mode: AttentionMode): string {
	return mode === 'full'
		? `  let k0 = 0u;
  let k1 = nKeys;`
		: `  let k0 = min(split * params.splitLen, nKeys);
  let k1 = min(k0 + params.splitLen, nKeys);`;
}

/** How a kernel scores a key and reads a value inside the shared walk. */
export interface OnlineSoftmaxIo {
	/** Statements (indented 6) that set `s` for key `j` (< k1), starting from s = NEG_BIG. */
	score: string;
	/** Statements (indented 6) run per key `c0 + i` before its value features are read. */
	valueBase: string;
	/** WGSL of value feature `d` of that key (an f32). */
	value: string;
}

/**
 * The walk over keys [k0, k1) in chunks of WG (needs {@link NEG_BIG}, `p: array<f32, WG>` in
 * shared memory, and `lid`, `k0`, `k1`, `D` in scope; `io` reads the rest): each invocation scores one key of the chunk, then the
 * chunk's probabilities are folded into the running max m, running sum l and the accumulators
 * acc[a] of the features d = lid + a·WG, rescaled by exp(m_old − m_new).
 */
export function onlineSoftmax(io: OnlineSoftmaxIo): string {
	return `  var m = NEG_BIG;
  var l = 0.0;
  var acc = array<f32, 4>(0.0, 0.0, 0.0, 0.0);
  for (var c0 = k0; c0 < k1; c0 += WG) {
    let j = c0 + lid;
    var s = NEG_BIG;
    if (j < k1) {
${io.score}
    }
    p[lid] = s;
    workgroupBarrier();
    var cm = m;
    for (var i = 0u; i < WG; i++) { cm = max(cm, p[i]); }
    workgroupBarrier();
    p[lid] = exp(s - cm);
    workgroupBarrier();
    let alpha = exp(m - cm);
    l *= alpha;
    for (var a = 0u; a < 4u; a++) { acc[a] *= alpha; }
    let n = min(WG, k1 - c0);
    for (var i = 0u; i < n; i++) {
      let pi = p[i];
      l += pi;
${io.valueBase}
      for (var a = 0u; a < 4u; a++) {
        let d = lid + a * WG;
        if (d < D) { acc[a] += pi * ${io.value}; }
      }
    }
    m = cm;
    workgroupBarrier(); // p is rewritten by the next chunk
  }`;
}

/**
 * Writes the walk's result: full, O[out + d] = acc / l; partial, the unnormalized acc and
 * (m, l) at slot `head · splits + split` of PartAcc / PartML.
 */
export function attentionWrite(mode: AttentionMode, out: string, head: string): string {
	return mode === 'full'
		? `  let inv = 1.0 / l;
  for (var a = 0u; a < 4u; a++) {
    let d = lid + a * WG;
    if (d < D) { O[${out} + d] = acc[a] * inv; }
  }`
		: `  let slot = ${head} * params.splits + split;
  for (var a = 0u; a < 4u; a++) {
    let d = lid + a * WG;
    if (d < D) { PartAcc[slot * D + d] = acc[a]; }
  }
  if (lid == 0u) { PartML[slot] = vec2<f32>(m, l); }`;
}

/**
 * `fn name(d, pos) -> f32`: feature d of the head held in `x` (shared memory) rotated by RoPE
 * at position pos (first R features; half-split pairs (i, i + R/2), or adjacent pairs
 * (2i, 2i + 1) when params.pairs == 1), with cos/sin from CosSin [maxPos, R/2].
 */
export function ropeFn(name: string, x: string): string {
	return `fn ${name}(d: u32, pos: u32) -> f32 {
  if (d >= params.R) { return ${x}[d]; }
  let half = params.R / 2u;
  var i = d % half;
  var partner = select(d - half, d + half, d < half);
  var sign = select(1.0, -1.0, d < half);
  if (params.pairs == 1u) { i = d / 2u; partner = d ^ 1u; sign = select(1.0, -1.0, d % 2u == 0u); }
  let cs = CosSin[pos * half + i];
  return ${x}[d] * cs.x + sign * ${x}[partner] * cs.y;
}`;
}
