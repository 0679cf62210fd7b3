/**
 * Register-blocked matmul Y[M, N] = X[M, K] · W[N, K]^T (+ bias), for prefill. Y's rows are
 * `ldy` apart and the N outputs start at column `outOff` (fused q/k/v of mixed formats).
 *
 * Each invocation computes a 4x4 tile of Y from 4 rows of X and 4 rows of W, reading both
 * along K (W keeps HF Linear's [out, in] layout, so both operands are K-contiguous: vec4 loads
 * when K % 4 == 0, scalar loads otherwise). No shared memory and no barriers: on CPU adapters
 * that is 5-10x faster than shared-memory tiling; on GPUs neighbouring invocations share their
 * X rows and W rows through the caches, and each loaded value is reused 4 times in registers.
 */
import type { WeightFormat } from '../../gpu/tensor.js';
import { weightAccess, weightEnables } from '../../quant/weight-access.wgsl.js';
import type { MatvecEpilogue } from '../matvec/fused-matvec.wgsl.js';

export interface MatmulShaderParams {
	format: WeightFormat;
	/** K % 4 == 0: vec4 loads of X and W. */
	vec4: boolean;
	bias: boolean;
	/**
	 * store: Y = XW^T + b; add: Y += XW^T + b (the residual stream); swiglu: W's rows are
	 * (gate, up) pairs and Y [M, N/2] = silu(gate) · up. Default store.
	 */
	epilogue?: MatvecEpilogue;
}

const R = [0, 1, 2, 3];

/** Renders the WGSL of the matmul kernel for one format/path. */
export function renderMatmul(p: MatmulShaderParams): string {
	const xType = p.vec4 ? 'vec4<f32>' : 'f32';
	const yBinding = p.bias ? 4 : 3;
	const ep = p.epilogue ?? 'store';
	const inner = p.vec4
		? `  let K4 = params.K / 4u;
  for (var k = 0u; k < params.K; k += 4u) {
${R.map((j) => `    let w${j} = w4(n${j}, k);`).join('\n')}
${R.map((i) => `    { let xv = X[m${i} * K4 + k / 4u]; acc${i} += vec4<f32>(dot(xv, w0), dot(xv, w1), dot(xv, w2), dot(xv, w3)); }`).join('\n')}
  }`
		: `  for (var k = 0u; k < params.K; k++) {
    let wv = vec4<f32>(${R.map((j) => `w1(n${j}, k)`).join(', ')});
${R.map((i) => `    acc${i} += X[m${i} * params.K + k] * wv;`).join('\n')}
  }`;
	return `${weightEnables(p.format)}
struct Params { M: u32, K: u32, rows: u32, rowStart: u32, ldy: u32, outOff: u32, _p1: u32, _p2: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> X: array<${xType}>;
${weightAccess(p.format, p.vec4, 2)}
${p.bias ? '@group(0) @binding(3) var<storage, read> B: array<f32>;' : ''}
@group(0) @binding(${yBinding}) var<storage, read_write> Y: array<f32>;

override WG: u32 = 64u;

${
	ep === 'swiglu'
		? `// n is the gate row of a (gate, up) pair (rowStart and rows are even).
fn store2(m: u32, n: u32, g0: f32, u0: f32) {
  if (m < params.M && n < params.rows) {
    let col = params.rowStart + n;
    let g = g0${p.bias ? ' + B[col]' : ''};
    let u = u0${p.bias ? ' + B[col + 1u]' : ''};
    Y[m * params.ldy + params.outOff + col / 2u] = g / (1.0 + exp(-g)) * u;
  }
}`
		: `fn store(m: u32, n: u32, v: f32) {
  if (m < params.M && n < params.rows) {
    let col = params.rowStart + n;
    Y[m * params.ldy + params.outOff + col] ${ep === 'add' ? '+=' : '='} v${p.bias ? ' + B[col]' : ''};
  }
}`
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * WG;
  let tilesN = (params.rows + 3u) / 4u;
  let tilesM = (params.M + 3u) / 4u;
  if (t >= tilesN * tilesM) { return; }
  // Consecutive invocations walk along N so they share the same 4 rows of X.
  let nBase = (t % tilesN) * 4u;
  let mBase = (t / tilesN) * 4u;
  // Clamp to the last valid row so edge tiles load in bounds; store() drops the extras.
${R.map((i) => `  let m${i} = min(mBase + ${i}u, params.M - 1u);`).join('\n')}
${R.map((j) => `  let n${j} = min(nBase + ${j}u, params.rows - 1u);`).join('\n')}
${R.map((i) => `  var acc${i} = vec4<f32>(0.0);`).join('\n')}
${inner}
${
	ep === 'swiglu'
		? R.map((i) => [0, 2].map((j) => `  store2(mBase + ${i}u, nBase + ${j}u, acc${i}[${j}], acc${i}[${j + 1}]);`).join('\n')).join('\n')
		: R.map((i) => R.map((j) => `  store(mBase + ${i}u, nBase + ${j}u, acc${i}[${j}]);`).join('\n')).join('\n')
}
}
`;
}
