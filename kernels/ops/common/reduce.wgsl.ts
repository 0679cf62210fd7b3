/**
 * Workgroup-wide reductions through shared memory, for row kernels that run one workgroup per
 * row (RMSNorm, softmax, sampling). WG must be a power of two. Call from uniform control flow;
 * every invocation gets the result.
 */
export const WG_REDUCE = `
var<workgroup> red: array<f32, WG>;

fn wg_reduce(v: f32, lid: u32, is_max: bool) -> f32 {
  red[lid] = v;
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (lid < s) {
      if (is_max) { red[lid] = max(red[lid], red[lid + s]); } else { red[lid] += red[lid + s]; }
    }
  }
  // workgroupUniformLoad also acts as a barrier, and makes the result usable in control flow.
  let r = workgroupUniformLoad(&red[0]);
  workgroupBarrier();
  return r;
}
fn wg_sum(v: f32, lid: u32) -> f32 { return wg_reduce(v, lid, false); }
fn wg_max(v: f32, lid: u32) -> f32 { return wg_reduce(v, lid, true); }
`;

/** Linear workgroup id for dispatches spread over x and y by `grid()`. */
export const LINEAR_WG = `fn linear_wg(wg: vec3<u32>, nwg: vec3<u32>) -> u32 { return wg.x + wg.y * nwg.x; }`;
