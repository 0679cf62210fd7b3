/** The SwiGLU gate, elementwise: out = silu(gate) · up, silu(g) = g / (1 + exp(-g)). */
export const SILU_MUL_WGSL = `
struct Params { n: u32, _p0: u32, _p1: u32, _p2: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read> U: array<f32>;
@group(0) @binding(3) var<storage, read_write> Out: array<f32>;
override WG: u32 = 64u;
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.n) { return; }
  let g = G[i];
  // exp(-g) overflows to inf for g < -88: g / inf = -0, the right limit.
  Out[i] = g / (1.0 + exp(-g)) * U[i];
}
`;
