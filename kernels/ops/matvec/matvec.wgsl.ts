/**
 * Matrix-vector product y[N] = W[N, K] · x[K] (+ bias), for decode (M = 1), in three
 * variants chosen by the adapter (rows / workgroup / subgroup; the loops and reductions are
 * ./row-dot.wgsl.ts, shared with the fused matvec).
 */
import type { WeightFormat } from '../../gpu/tensor.js';
import { weightAccess } from '../../quant/weight-access.wgsl.js';
import { matvecEnables, renderRowsMain, renderSplitKMain, type MatvecVariant, type RowDotIo } from './row-dot.wgsl.js';

export { MATVEC_ROWS_PER_WG, type MatvecVariant } from './row-dot.wgsl.js';

export interface MatvecShaderParams {
	format: WeightFormat;
	vec4: boolean;
	bias: boolean;
	variant: MatvecVariant;
}

function header(p: MatvecShaderParams): string {
	return `${matvecEnables(p)}
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

/** Renders the WGSL of the matvec kernel for one format/path/variant. */
export function renderMatvec(p: MatvecShaderParams): string {
	const x = (i: string) => `X[${i}]`;
	if (p.variant === 'rows') {
		const io: RowDotIo = { x, emit: (s) => `store(n, ${s[0]});` };
		return `${header(p)}\n${renderRowsMain(p, io)}`;
	}
	const io: RowDotIo = { x, emit: (s) => s.map((v, j) => `    store(row0 + ${j}u, ${v});`).join('\n') };
	return `${header(p)}\n${renderSplitKMain(p, io)}`;
}
