/**
 * RoPE in place on x [T, H, D], one invocation per rotary pair. cos/sin come from a table
 * computed on the host in float64 (RopeTable): WGSL's sin/cos only promise ~2^-11 absolute
 * accuracy and f32 angles p·f lose precision at large positions; a table is exact to f32.
 */
export const ROPE_WGSL = `
struct Params { T: u32, H: u32, D: u32, R: u32, p0: u32, pairs: u32, maxPos: u32, _p: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> X: array<f32>;
@group(0) @binding(2) var<storage, read> CosSin: array<vec2<f32>>; // [maxPos, R/2]
override WG: u32 = 64u;
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * WG;
  let half = params.R / 2u;
  if (idx >= params.T * params.H * half) { return; }
  let i = idx % half;
  let th = idx / half; // t * H + h
  let t = th / params.H;
  let cs = CosSin[(params.p0 + t) * half + i];
  let base = th * params.D;
  var iu = base + i;
  var iv = base + i + half;
  if (params.pairs == 1u) { iu = base + 2u * i; iv = iu + 1u; }
  let u = X[iu];
  let v = X[iv];
  X[iu] = u * cs.x - v * cs.y;
  X[iv] = v * cs.x + u * cs.y;
}
`;
