/**
 * Decode attention (one new token) with qkvPost fused in: each workgroup (query head h, and
 * key split in the flash-decoding variant) reads its q head and its kv head's new k and v from
 * the raw projection QKV [(Hq + 2·Hkv)·D], applies the optional q/k RMSNorm and RoPE itself,
 * attends over the cached positions 0 .. p0 - 1 plus the new key/value held in shared memory
 * (no other workgroup's write is awaited), and the first query head of each group (split 0)
 * writes the new k/v into the cache at p0 for later steps. The new k/v are rounded to the
 * cache's dtype before use, so the result equals qkvPost followed by attention.
 * The online softmax, RoPE and the write are ./online-softmax.wgsl.ts, shared with ./attention.wgsl.ts.
 */
import { LINEAR_WG, WG_REDUCE } from '../common/reduce.wgsl.js';
import { attentionRange, attentionWrite, NEG_BIG, onlineSoftmax, ropeFn, type AttentionMode } from './online-softmax.wgsl.js';
import { QKV_POST_MAX_D } from './qkv-post.wgsl.js';

/** Renders the fused decode attention ('full': normalized output; 'partial': split results). */
export function renderAttentionDecode(mode: AttentionMode, kv: 'f32' | 'f16', qkNorm: boolean): string {
	let b = 3;
	const norms = qkNorm
		? `@group(0) @binding(${b++}) var<storage, read> QN: array<f32>;
@group(0) @binding(${b++}) var<storage, read> KN: array<f32>;`
		: '';
	const kc = b++;
	const vc = b++;
	const outputs =
		mode === 'full'
			? `@group(0) @binding(${b}) var<storage, read_write> O: array<f32>;    // [Hq, D]`
			: `@group(0) @binding(${b}) var<storage, read_write> PartAcc: array<f32>; // [Hq, splits, D]
@group(0) @binding(${b + 1}) var<storage, read_write> PartML: array<vec2<f32>>; // [Hq, splits] (m, l)`;
	const walk = onlineSoftmax({
		score: `      s = 0.0;
      if (j == pos) {
        for (var d = 0u; d < D; d++) { s += qs[d] * ks[d]; }
      } else {
        let kbase = j * kvStride + kvh * D;
        for (var d = 0u; d < D; d++) { s += qs[d] * f32(Kc[kbase + d]); }
      }`,
		valueBase: `      let jj = c0 + i;
      let vbase = jj * kvStride + kvh * D;`,
		value: 'select(f32(Vc[vbase + d]), vs[d], jj == pos)',
	});
	return `${kv === 'f16' ? 'enable f16;' : ''}
struct Params { Hq: u32, Hkv: u32, D: u32, p0: u32, scale: f32, splits: u32, splitLen: u32, R: u32, pairs: u32, eps: f32, _p0: u32, _p1: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> QKV: array<f32>;
@group(0) @binding(2) var<storage, read> CosSin: array<vec2<f32>>; // [maxPos, R/2]
${norms}
@group(0) @binding(${kc}) var<storage, read_write> Kc: array<${kv}>; // [S, Hkv, D]
@group(0) @binding(${vc}) var<storage, read_write> Vc: array<${kv}>;
${outputs}
override WG: u32 = 64u;
${NEG_BIG}
${WG_REDUCE}
${LINEAR_WG}
var<workgroup> qs: array<f32, ${QKV_POST_MAX_D}>;
var<workgroup> ks: array<f32, ${QKV_POST_MAX_D}>;
var<workgroup> vs: array<f32, ${QKV_POST_MAX_D}>;
var<workgroup> p: array<f32, WG>;

// RoPE of feature d of the new q / k head (shared memory), at position pos.
${ropeFn('rot_q', 'qs')}
${ropeFn('rot_k', 'ks')}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let wid = linear_wg(wg, nwg);
  let h = wid / params.splits;
  let split = wid % params.splits;
  if (h >= params.Hq) { return; } // uniform: per workgroup
  let group = params.Hq / params.Hkv;
  let kvh = h / group;
  let D = params.D;
  let pos = params.p0;
  let qb = h * D;
  let kb = (params.Hq + kvh) * D;
  let vb = (params.Hq + params.Hkv + kvh) * D;
  var ssq = 0.0;
  var ssk = 0.0;
  for (var d = lid; d < D; d += WG) {
    let q = QKV[qb + d];
    let k = QKV[kb + d];
    qs[d] = q;
    ks[d] = k;
    vs[d] = f32(${kv}(QKV[vb + d]));
    ssq += q * q;
    ssk += k * k;
  }
${
	qkNorm
		? `  let invq = inverseSqrt(wg_sum(ssq, lid) / f32(D) + params.eps);
  let invk = inverseSqrt(wg_sum(ssk, lid) / f32(D) + params.eps);
  for (var d = lid; d < D; d += WG) { qs[d] *= invq * QN[d]; ks[d] *= invk * KN[d]; }`
		: ''
}
  workgroupBarrier();
  var rq = array<f32, 4>(0.0, 0.0, 0.0, 0.0);
  var rk = array<f32, 4>(0.0, 0.0, 0.0, 0.0);
  for (var a = 0u; a < 4u; a++) {
    let d = lid + a * WG;
    if (d < D) { rq[a] = rot_q(d, pos); rk[a] = f32(${kv}(rot_k(d, pos))); }
  }
  workgroupBarrier();
  for (var a = 0u; a < 4u; a++) {
    let d = lid + a * WG;
    if (d < D) { qs[d] = rq[a] * params.scale; ks[d] = rk[a]; }
  }
  workgroupBarrier();
  if (h % group == 0u && split == 0u) {
    let cb = (pos * params.Hkv + kvh) * D;
    for (var d = lid; d < D; d += WG) { Kc[cb + d] = ${kv}(ks[d]); Vc[cb + d] = ${kv}(vs[d]); }
  }

  let nKeys = pos + 1u;
${attentionRange(mode)}
  let kvStride = params.Hkv * D;
${walk}
${attentionWrite(mode, 'h * D', 'h')}
}
`;
}
