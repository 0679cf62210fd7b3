/** Writes f32 keys/values of new tokens into an f16 KV cache at a position offset. */
export const KV_WRITE_F16_WGSL = `
enable f16;
struct Params { n: u32, offset: u32, _p0: u32, _p1: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> K: array<f32>;
@group(0) @binding(2) var<storage, read> V: array<f32>;
@group(0) @binding(3) var<storage, read_write> Kc: array<f16>;
@group(0) @binding(4) var<storage, read_write> Vc: array<f16>;
override WG: u32 = 64u;
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.n) { return; }
  Kc[params.offset + i] = f16(K[i]);
  Vc[params.offset + i] = f16(V[i]);
}
`;
