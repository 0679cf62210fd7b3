/** Numerically stable row softmax, one workgroup per row: y = exp(x - max) / sum(exp(x - max)). */
import { LINEAR_WG, WG_REDUCE } from '../common/reduce.wgsl.js';

export const SOFTMAX_WGSL = `
struct Params { rows: u32, C: u32, _p0: u32, _p1: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
override WG: u32 = 64u;
${WG_REDUCE}
${LINEAR_WG}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = linear_wg(wg, nwg);
  if (row >= params.rows) { return; }
  let base = row * params.C;
  var m = -3.0e38;
  for (var i = lid; i < params.C; i += WG) { m = max(m, X[base + i]); }
  m = wg_max(m, lid);
  var s = 0.0;
  for (var i = lid; i < params.C; i += WG) { s += exp(X[base + i] - m); }
  let inv = 1.0 / wg_sum(s, lid);
  for (var i = lid; i < params.C; i += WG) { Y[base + i] = exp(X[base + i] - m) * inv; }
}
`;
