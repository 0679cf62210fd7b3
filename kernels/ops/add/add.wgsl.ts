/**
 * Residual add, elementwise over n f32 values: out = a + b, or in place a += b (the usual
 * residual update, which saves a buffer). One invocation per element.
 */
export function renderAdd(inPlace: boolean): string {
	const bindings = inPlace
		? `@group(0) @binding(1) var<storage, read_write> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;`
		: `@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> Out: array<f32>;`;
	return `struct Params { n: u32, _p0: u32, _p1: u32, _p2: u32 }
@group(0) @binding(0) var<uniform> params: Params;
${bindings}
override WG: u32 = 64u;
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.n) { return; }
  ${inPlace ? 'A[i] = A[i] + B[i];' : 'Out[i] = A[i] + B[i];'}
}
`;
}
