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
 * variants (rows / workgroup / subgroup) are the loops of ./row-dot.wgsl.ts, shared with the
 * plain matvec; in `rows`, an invocation owns one row (two for swiglu: the pair).
 */
import type { WeightFormat } from '../../gpu/tensor.js';
import { weightAccess } from '../../quant/weight-access.wgsl.js';
import { matvecEnables, renderRowsMain, renderSplitKMain, type MatvecVariant, type RowDotIo } from './row-dot.wgsl.js';

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
	const enables = matvecEnables(p);
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

/** Renders the WGSL of the fused matvec for one format/variant/prologue/epilogue. */
export function renderFusedMatvec(p: FusedMatvecShaderParams): string {
	const x = (i: string) => `xin(${i})`;
	const prologue = 'prologue(lid);';
	if (p.variant === 'rows') {
		const swiglu = p.epilogue === 'swiglu';
		const emit = (s: string[]) => (swiglu ? `emit2(n, ${s[0]}, ${s[1]});` : `emit(n, ${s[0]});`);
		return `${header(p)}\n${renderRowsMain(p, { x, prologue, emit }, swiglu ? 2 : 1)}`;
	}
	const emit: RowDotIo['emit'] = (s) =>
		p.epilogue === 'swiglu'
			? `    emit2(row0, ${s[0]}, ${s[1]});\n    emit2(row0 + 2u, ${s[2]}, ${s[3]});`
			: s.map((v, j) => `    emit(row0 + ${j}u, ${v});`).join('\n');
	return `${header(p)}\n${renderSplitKMain(p, { x, prologue, emit })}`;
}
