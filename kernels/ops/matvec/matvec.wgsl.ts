/**
 * Matrix-vector product y[N] = W[N, K] · x[K] (+ bias), for decode (M = 1), in three
 * variants chosen by the adapter:
 *   rows       one invocation per output row, vec4 loop over K (q8/q4: a block of 32 per
 *              step, one scale load each); no barriers (CPU adapters);
 *   workgroup  a workgroup of WG invocations per 4 rows, split K, shared-memory tree reduce;
 *   subgroup   same split, subgroupAdd then one slot per subgroup in shared memory. No
 *              subgroup size is assumed: each subgroup claims its slot with an atomic counter.
 *              (Slots are claimed in arbitrary order, so the last few f32 adds can be reordered
 *              between runs: results may differ in the last bit.)
 */
import type { WeightFormat } from '../../gpu/tensor.js';
import { weightAccess, weightBlockDot, weightEnables } from '../../quant/weight-access.wgsl.js';

/** How a matvec reduces along K. */
export type MatvecVariant = 'rows' | 'workgroup' | 'subgroup';

export interface MatvecShaderParams {
	format: WeightFormat;
	vec4: boolean;
	bias: boolean;
	variant: MatvecVariant;
}

/** Rows of W per workgroup in the workgroup/subgroup variants. */
export const MATVEC_ROWS_PER_WG = 4;

const R = [0, 1, 2, 3];

function header(p: MatvecShaderParams): string {
	const enables = weightEnables(p.format) + (p.variant === 'subgroup' ? 'enable subgroups;\n' : '');
	return `${enables}
struct Params { K: u32, rows: u32, rowStart: u32, _p0: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> X: array<${p.vec4 ? 'vec4<f32>' : 'f32'}>;
${weightAccess(p.format, p.vec4, 2)}
${p.bias ? '@group(0) @binding(3) var<storage, read> B: array<f32>;' : ''}
@group(0) @binding(${p.bias ? 4 : 3}) var<storage, read_write> Y: array<f32>;
override WG: u32 = 64u;

fn store(n: u32, v: f32) {
  if (n < params.rows) {
    let col = params.rowStart + n;
    Y[col] = v${p.bias ? ' + B[col]' : ''};
  }
}
`;
}

function renderRows(p: MatvecShaderParams): string {
	const quant = p.format === 'q8' || p.format === 'q4';
	const loop = quant
		? `  var acc = 0.0;
  for (var b = 0u; b < params.K / 32u; b++) { acc += wdot32(n, b, b * 8u); }
  store(n, acc);`
		: p.vec4
		? `  var acc = vec4<f32>(0.0);
  for (var k = 0u; k < params.K; k += 4u) { acc += X[k / 4u] * w4(n, k); }
  store(n, acc.x + acc.y + acc.z + acc.w);`
		: `  var acc = 0.0;
  for (var k = 0u; k < params.K; k++) { acc += X[k] * w1(n, k); }
  store(n, acc);`;
	return `${header(p)}
${quant ? weightBlockDot(p.format as 'q8' | 'q4') : ''}
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = gid.x + gid.y * nwg.x * WG;
  if (n >= params.rows) { return; }
${loop}
}
`;
}

function renderSplitK(p: MatvecShaderParams): string {
	// Each invocation sums a strided slice of K for 4 rows at once (x is loaded once per 4 rows).
	const loop = p.vec4
		? `  for (var k = lid * 4u; k < params.K; k += WG * 4u) {
    let xv = X[k / 4u];
    part += vec4<f32>(${R.map((j) => `dot(xv, w4(n${j}, k))`).join(', ')});
  }`
		: `  for (var k = lid; k < params.K; k += WG) {
    part += X[k] * vec4<f32>(${R.map((j) => `w1(n${j}, k)`).join(', ')});
  }`;
	const reduce =
		p.variant === 'workgroup'
			? `  red[lid] = part;
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (lid < s) { red[lid] += red[lid + s]; }
  }
  workgroupBarrier();
  if (lid == 0u) {
    let tot = red[0];
${R.map((j) => `    store(row0 + ${j}u, tot[${j}]);`).join('\n')}
  }`
			: `  let s = subgroupAdd(part);
  if (sgid == 0u) { red[atomicAdd(&slots, 1u)] = s; }
  workgroupBarrier();
  if (lid == 0u) {
    var tot = vec4<f32>(0.0);
    let n = atomicLoad(&slots);
    for (var i = 0u; i < n; i++) { tot += red[i]; }
${R.map((j) => `    store(row0 + ${j}u, tot[${j}]);`).join('\n')}
  }`;
	const sgDecl = p.variant === 'subgroup' ? 'var<workgroup> slots: atomic<u32>;' : '';
	const sgArgs = p.variant === 'subgroup' ? ', @builtin(subgroup_invocation_id) sgid: u32' : '';
	return `${header(p)}
var<workgroup> red: array<vec4<f32>, WG>;
${sgDecl}
@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>${sgArgs}) {
  let row0 = (wg.x + wg.y * nwg.x) * ${MATVEC_ROWS_PER_WG}u;
  if (row0 >= params.rows) { return; } // uniform: the whole workgroup leaves
${R.map((j) => `  let n${j} = min(row0 + ${j}u, params.rows - 1u);`).join('\n')}
  var part = vec4<f32>(0.0);
${loop}
${reduce}
}
`;
}

/** Renders the WGSL of the matvec kernel for one format/path/variant. */
export function renderMatvec(p: MatvecShaderParams): string {
	return p.variant === 'rows' ? renderRows(p) : renderSplitK(p);
}
