/**
 * Embedding lookup: out[t, :] = table[ids[t], :], for a table in any weight format, split
 * along the vocabulary like any weight. One dispatch per part; an invocation copies 4
 * consecutive features (vec4 path) or 1 (scalar path) and skips ids outside its part.
 */
import type { WeightFormat } from '../../gpu/tensor.js';
import { weightAccess, weightEnables } from '../../quant/weight-access.wgsl.js';

export function renderEmbedding(format: WeightFormat, vec4: boolean): string {
	const body = vec4
		? `  let per = params.K / 4u;
  let t = i / per;
  let c = (i % per) * 4u;
  if (t >= params.T) { return; }
  let id = Ids[t];
  if (id < params.rowStart || id >= params.rowStart + params.rows) { return; }
  let v = w4(id - params.rowStart, c);
  let o = t * params.K + c;
  Out[o] = v.x; Out[o + 1u] = v.y; Out[o + 2u] = v.z; Out[o + 3u] = v.w;`
		: `  let t = i / params.K;
  let c = i % params.K;
  if (t >= params.T) { return; }
  let id = Ids[t];
  if (id < params.rowStart || id >= params.rowStart + params.rows) { return; }
  Out[t * params.K + c] = w1(id - params.rowStart, c);`;
	return `${weightEnables(format)}
struct Params { T: u32, K: u32, rowStart: u32, rows: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> Ids: array<u32>;
${weightAccess(format, vec4, 2)}
@group(0) @binding(3) var<storage, read_write> Out: array<f32>;
override WG: u32 = 64u;
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
${body}
}
`;
}
