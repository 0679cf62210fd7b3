/**
 * The step between the fused q/k/v projection and attention, one workgroup per (token, head):
 * reads the head from the projection output QKV [T, (Hq + 2·Hkv)·D] (q heads, then k heads, then
 * v heads), applies Qwen3's per-head RMSNorm to q/k heads (optional), RoPE to q/k heads (cos/sin
 * from the RopeTable), and writes q heads to Q [T, Hq, D] and k/v heads straight into the KV
 * cache at position p0 + t (f32 or f16): three ops and two cache copies in one dispatch, and no
 * buffer copy to break the compute pass.
 */
import { LINEAR_WG, WG_REDUCE } from '../common/reduce.wgsl.js';
import { ropeFn } from './online-softmax.wgsl.js';

/** Largest head dim (each of WG = 64 invocations owns up to 4 features). */
export const QKV_POST_MAX_D = 256;

/** Renders the kernel for an f32 or f16 cache, with or without the q/k norm. */
export function renderQkvPost(kv: 'f32' | 'f16', qkNorm: boolean): string {
	let b = 3;
	const norms = qkNorm
		? `@group(0) @binding(${b++}) var<storage, read> QN: array<f32>;
@group(0) @binding(${b++}) var<storage, read> KN: array<f32>;`
		: '';
	return `${kv === 'f16' ? 'enable f16;' : ''}
struct Params { T: u32, Hq: u32, Hkv: u32, D: u32, R: u32, p0: u32, pairs: u32, eps: f32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> QKV: array<f32>;
@group(0) @binding(2) var<storage, read> CosSin: array<vec2<f32>>; // [maxPos, R/2]
${norms}
@group(0) @binding(${b++}) var<storage, read_write> Q: array<f32>;
@group(0) @binding(${b++}) var<storage, read_write> Kc: array<${kv}>;
@group(0) @binding(${b}) var<storage, read_write> Vc: array<${kv}>;
override WG: u32 = 64u;
${WG_REDUCE}
${LINEAR_WG}
var<workgroup> xs: array<f32, ${QKV_POST_MAX_D}>;
${ropeFn('rope', 'xs')}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = linear_wg(wg, nwg);
  let H3 = params.Hq + 2u * params.Hkv;
  if (idx >= params.T * H3) { return; } // uniform: per workgroup
  let t = idx / H3;
  let h = idx % H3;
  let D = params.D;
  let src = idx * D;
  let isQ = h < params.Hq;
  let isV = h >= params.Hq + params.Hkv;
  var ss = 0.0;
  for (var d = lid; d < D; d += WG) { let v = QKV[src + d]; xs[d] = v; ss += v * v; }
${
	qkNorm
		? `  let inv = inverseSqrt(wg_sum(ss, lid) / f32(D) + params.eps);
  if (!isV) {
    for (var d = lid; d < D; d += WG) { xs[d] *= inv * select(KN[d], QN[d], isQ); }
  }`
		: ''
}
  workgroupBarrier();
  let pos = params.p0 + t;
  for (var d = lid; d < D; d += WG) {
    var y = xs[d];
    if (!isV) { y = rope(d, pos); }
    if (isQ) {
      Q[(t * params.Hq + h) * D + d] = y;
    } else if (isV) {
      Vc[(pos * params.Hkv + h - params.Hq - params.Hkv) * D + d] = ${kv}(y);
    } else {
      Kc[(pos * params.Hkv + h - params.Hq) * D + d] = ${kv}(y);
    }
  }
}
`;
}
