/**
 * The decode matvec with a prologue and an epilogue fused in, so a transformer layer needs no
 * separate RMSNorm, residual-add or SwiGLU dispatches:
 *
 *   prologue `norm`  y = W · (x / rms(x) ⊙ g): each workgroup (split-K variants) or invocation
 *                    (rows) computes Σx² over the K inputs, the dot products read x ⊙ g, and
 *                    the row sums are scaled by 1/rms(x) at the end;
 *   epilogue `store` Y[o + n] = y_n (+ b_n)
 *            `add`   Y[o + n] += y_n (+ b_n)         the residual stream, updated in place
 *            `swiglu` rows come in (gate, up) pairs: Y[o + n/2] = silu(y_n) · y_(n+1)
 *
 * x is row `xOff / K` of a [M, K] buffer (the last prompt token for the lm_head). The three
 * variants (rows / workgroup / subgroup) reduce along K as in ./matvec.wgsl.ts; in `rows`, an
 * invocation owns one row (two for swiglu: the pair).
 */
import type { WeightFormat } from '../../gpu/tensor.js';
import { weightAccess, weightBlockDot, weightEnables } from '../../quant/weight-access.wgsl.js';
import { MATVEC_ROWS_PER_WG, type MatvecVariant } from './matvec.wgsl.js';

/** What the matvec does with each output row. */
export type MatvecEpilogue = 'store' | 'add' | 'swiglu';

export interface FusedMatvecShaderParams {
	format: WeightFormat;
	vec4: boolean;
	bias: boolean;
	norm: boolean;
	epilogue: MatvecEpilogue;
	variant: MatvecVariant;
}

const R = [0, 1, 2, 3];

/**
 * `fn prologue(lid)`, which sets inv = 1 / rms(x) (norm only). Split-K variants share the sum
 * of squares through shared memory (one barrier; they have barriers anyway); in `rows` every
 * invocation sums all K itself: on CPU adapters a barrier turns the shader into coroutines and
 * costs more (2-2.5x on lavapipe) than K redundant, lane-uniform multiply-adds.
 */
function prologue(p: FusedMatvecShaderParams, xoff: string): string {
	if (!p.norm) return 'fn prologue(lid: u32) {}';
	const n = p.vec4 ? 'params.K / 4u' : 'params.K';
	const sq = p.vec4 ? 'dot(v, v)' : 'v * v';
	if (p.variant === 'rows') {
		return `fn prologue(lid: u32) {
  var ss = 0.0;
  for (var i = 0u; i < ${n}; i++) { let v = X[${xoff} + i]; ss += ${sq}; }
  inv = inverseSqrt(ss / f32(params.K) + params.eps);
}`;
	}
	return `// Call from uniform control flow, before any early return.
fn prologue(lid: u32) {
  var ss = 0.0;
  for (var i = lid; i < ${n}; i += WG) { let v = X[${xoff} + i]; ss += ${sq}; }
  ssp[lid] = ss;
  workgroupBarrier();
  var tot = 0.0;
  for (var i = 0u; i < WG; i++) { tot += ssp[i]; }
  inv = inverseSqrt(tot / f32(params.K) + params.eps);
}`;
}

function header(p: FusedMatvecShaderParams): string {
	const enables = weightEnables(p.format) + (p.variant === 'subgroup' ? 'enable subgroups;\n' : '');
	const xt = p.vec4 ? 'vec4<f32>' : 'f32';
	let binding = 3;
	const g = p.norm ? `@group(0) @binding(${binding++}) var<storage, read> G: array<${xt}>;` : '';
	const b = p.bias ? `@group(0) @binding(${binding++}) var<storage, read> B: array<f32>;` : '';
	const bias = (col: string) => (p.bias ? ` + B[${col}]` : '');
	const emit =
		p.epilogue === 'swiglu'
			? `// n is the gate row of a (gate, up) pair; rowStart and rows are even.
fn emit2(n: u32, g0: f32, u0: f32) {
  if (n < params.rows) {
    let col = params.rowStart + n;
    let g = g0 * inv${bias('col')};
    let u = u0 * inv${bias('col + 1u')};
    // exp(-g) overflows to inf for g < -88: g / inf = -0, the right limit.
    Y[params.outOff + col / 2u] = g / (1.0 + exp(-g)) * u;
  }
}`
			: `fn emit(n: u32, v: f32) {
  if (n < params.rows) {
    let col = params.rowStart + n;
    Y[params.outOff + col] ${p.epilogue === 'add' ? '+=' : '='} v * inv${bias('col')};
  }
}`;
	const xoff = p.vec4 ? 'params.xOff / 4u' : 'params.xOff';
	return `${enables}
struct Params { K: u32, rows: u32, rowStart: u32, xOff: u32, outOff: u32, eps: f32, _p0: u32, _p1: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> X: array<${xt}>;
${weightAccess(p.format, p.vec4, 2)}
${g}
${b}
@group(0) @binding(${binding}) var<storage, read_write> Y: array<f32>;
override WG: u32 = 64u;
var<private> inv: f32 = 1.0;
${p.norm && p.variant !== 'rows' ? 'var<workgroup> ssp: array<f32, WG>;' : ''}

fn xin(i: u32) -> ${xt} { return X[${xoff} + i]${p.norm ? ' * G[i]' : ''}; }

${prologue(p, xoff)}

${emit}
`;
}

function renderRows(p: FusedMatvecShaderParams): string {
	const quant = p.format === 'q8' || p.format === 'q4';
	const rpt = p.epilogue === 'swiglu' ? 2 : 1;
	const rows = rpt === 2 ? [0, 1] : [0];
	const acc = (r: number) => `acc${r}`;
	const loop = quant
		? `${rows.map((r) => `  var ${acc(r)} = 0.0;`).join('\n')}
  for (var b = 0u; b < params.K / 32u; b++) {
${rows.map((r) => `    ${acc(r)} += wdot32(n + ${r}u, b, b * 8u);`).join('\n')}
  }
${rows.map((r) => `  let s${r} = ${acc(r)};`).join('\n')}`
		: p.vec4
		? `${rows.map((r) => `  var ${acc(r)} = vec4<f32>(0.0);`).join('\n')}
  for (var k = 0u; k < params.K; k += 4u) {
    let xv = xin(k / 4u);
${rows.map((r) => `    ${acc(r)} += xv * w4(n + ${r}u, k);`).join('\n')}
  }
${rows.map((r) => `  let s${r} = ${acc(r)}.x + ${acc(r)}.y + ${acc(r)}.z + ${acc(r)}.w;`).join('\n')}`
		: `${rows.map((r) => `  var ${acc(r)} = 0.0;`).join('\n')}
  for (var k = 0u; k < params.K; k++) {
    let xv = xin(k);
${rows.map((r) => `    ${acc(r)} += xv * w1(n + ${r}u, k);`).join('\n')}
  }
${rows.map((r) => `  let s${r} = ${acc(r)};`).join('\n')}`;
	return `${header(p)}
${quant ? weightBlockDot(p.format as 'q8' | 'q4', 'params.K', (i) => `xin(${i})`) : ''}
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  prologue(lid);
  let n = (gid.x + gid.y * nwg.x * WG) * ${rpt}u;
  if (n >= params.rows) { return; }
${loop}
  ${rpt === 2 ? 'emit2(n, s0, s1);' : 'emit(n, s0);'}
}
`;
}

function renderSplitK(p: FusedMatvecShaderParams): string {
	const loop = p.vec4
		? `  for (var k = lid * 4u; k < params.K; k += WG * 4u) {
    let xv = xin(k / 4u);
    part += vec4<f32>(${R.map((j) => `dot(xv, w4(n${j}, k))`).join(', ')});
  }`
		: `  for (var k = lid; k < params.K; k += WG) {
    part += xin(k) * vec4<f32>(${R.map((j) => `w1(n${j}, k)`).join(', ')});
  }`;
	const stores =
		p.epilogue === 'swiglu'
			? `    emit2(row0, tot[0], tot[1]);
    emit2(row0 + 2u, tot[2], tot[3]);`
			: R.map((j) => `    emit(row0 + ${j}u, tot[${j}]);`).join('\n');
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
${stores}
  }`
			: `  let s = subgroupAdd(part);
  if (sgid == 0u) { red[atomicAdd(&slots, 1u)] = s; }
  workgroupBarrier();
  if (lid == 0u) {
    var tot = vec4<f32>(0.0);
    let n = atomicLoad(&slots);
    for (var i = 0u; i < n; i++) { tot += red[i]; }
${stores}
  }`;
	const sgDecl = p.variant === 'subgroup' ? 'var<workgroup> slots: atomic<u32>;' : '';
	const sgArgs = p.variant === 'subgroup' ? ', @builtin(subgroup_invocation_id) sgid: u32' : '';
	return `${header(p)}
var<workgroup> red: array<vec4<f32>, WG>;
${sgDecl}
@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>${sgArgs}) {
  prologue(lid);
  let row0 = (wg.x + wg.y * nwg.x) * ${MATVEC_ROWS_PER_WG}u;
  if (row0 >= params.rows) { return; } // uniform: the whole workgroup leaves
${R.map((j) => `  let n${j} = min(row0 + ${j}u, params.rows - 1u);`).join('\n')}
  var part = vec4<f32>(0.0);
${loop}
${reduce}
}
`;
}

/** Renders the WGSL of the fused matvec for one format/variant/prologue/epilogue. */
export function renderFusedMatvec(p: FusedMatvecShaderParams): string {
	return p.variant === 'rows' ? renderRows(p) : renderSplitK(p);
}
