/**
 * RMSNorm, one workgroup per row: y = x / sqrt(mean(x²) + eps) * w.
 * The weight may be f32 or f16 (read as f32); x and y are f32.
 */
import { LINEAR_WG, WG_REDUCE } from '../common/reduce.wgsl.js';

export function renderRmsnorm(weightDtype: 'f32' | 'f16'): string {
	return `${weightDtype === 'f16' ? 'enable f16;' : ''}
struct Params { rows: u32, D: u32, eps: f32, _p: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Wt: array<${weightDtype}>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
override WG: u32 = 64u;
${WG_REDUCE}
${LINEAR_WG}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = linear_wg(wg, nwg);
  if (row >= params.rows) { return; }
  let base = row * params.D;
  var ss = 0.0;
  for (var i = lid; i < params.D; i += WG) { let v = X[base + i]; ss += v * v; }
  let inv = inverseSqrt(wg_sum(ss, lid) / f32(params.D) + params.eps);
  for (var i = lid; i < params.D; i += WG) { Y[base + i] = X[base + i] * inv * f32(Wt[i]); }
}
`;
}
