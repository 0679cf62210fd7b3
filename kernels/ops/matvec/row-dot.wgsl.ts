/**
 * The K loops and reductions of the decode matvecs, one source for ./matvec.wgsl.ts and
 * ./fused-matvec.wgsl.ts (each adds its own bindings, `Params` and output function):
 *   rows       one invocation per output row (or per `rows` adjacent rows), vec4 loop over K
 *              (q8/q4: a block of 32 per step through `wdot32`); no barriers (CPU adapters);
 *   workgroup  a workgroup of WG invocations per 4 rows, split K, shared-memory tree reduce;
 *   subgroup   same split, subgroupAdd then one slot per subgroup in shared memory. No
 *              subgroup size is assumed: each subgroup claims its slot with an atomic counter.
 *              (Slots are claimed in arbitrary order, so the last few f32 adds can be reordered
 *              between runs: results may differ in the last bit.)
 * The kernel reads activation i through `x(i)` (X[i], or a function applying a norm weight):
 * f32 scalars on the scalar path, vec4<f32> on the vec4 path.
 */
import type { WeightFormat } from '../../gpu/tensor.js';
import { weightBlockDot, weightEnables } from '../../quant/weight-access.wgsl.js';

/** How a matvec reduces along K. */
export type MatvecVariant = 'rows' | 'workgroup' | 'subgroup';

/** What selects the loop: the weight format, the load width and the reduction. */
export interface RowDotParams {
	format: WeightFormat;
	vec4: boolean;
	variant: MatvecVariant;
}

/** How a kernel feeds and drains the shared loop. */
export interface RowDotIo {
	/** WGSL of the load of activation `i` (an index expression). */
	x: (i: string) => string;
	/**
	 * WGSL statement(s) run first in `main`, from uniform control flow, before any early return
	 * (omitted: none; `main` then has no `lid` in the rows variant).
	 */
	prologue?: string;
	/**
	 * The output statements: `rows` variant, given the sum names of the invocation's rows
	 * (`n` is its first row); split-K variants, given `tot`'s components for rows row0 .. row0 + 3.
	 */
	emit: (sums: string[]) => string;
}

/** Rows of W per workgroup in the workgroup/subgroup variants. */
export const MATVEC_ROWS_PER_WG = 4;

const R = [0, 1, 2, 3];

/** `enable` directives of a matvec: the weight format's, and subgroups for that variant. */
export function matvecEnables(p: RowDotParams): string {
	return weightEnables(p.format) + (p.variant === 'subgroup' ? 'enable subgroups;\n' : '');
}

/**
 * The rows variant after the header: `wdot32` (q8/q4) and `main`, where an invocation owns
 * `rows` adjacent rows (n, n + 1, …) and sums each in its own accumulator, in K order.
 */
export function renderRowsMain(p: RowDotParams, io: RowDotIo, rows: 1 | 2 = 1): string {
	const quant = p.format === 'q8' || p.format === 'q4';
	const rs = rows === 2 ? [0, 1] : [0];
	const acc = (r: number) => `acc${r}`;
	const loop = quant
		? `${rs.map((r) => `  var ${acc(r)} = 0.0;`).join('\n')}
  for (var b = 0u; b < params.K / 32u; b++) {
${rs.map((r) => `    ${acc(r)} += wdot32(n + ${r}u, b, b * 8u);`).join('\n')}
  }
${rs.map((r) => `  let s${r} = ${acc(r)};`).join('\n')}`
		: p.vec4
		? `${rs.map((r) => `  var ${acc(r)} = vec4<f32>(0.0);`).join('\n')}
  for (var k = 0u; k < params.K; k += 4u) {
    let xv = ${io.x('k / 4u')};
${rs.map((r) => `    ${acc(r)} += xv * w4(n + ${r}u, k);`).join('\n')}
  }
${rs.map((r) => `  let s${r} = ${acc(r)}.x + ${acc(r)}.y + ${acc(r)}.z + ${acc(r)}.w;`).join('\n')}`
		: `${rs.map((r) => `  var ${acc(r)} = 0.0;`).join('\n')}
  for (var k = 0u; k < params.K; k++) {
    let xv = ${io.x('k')};
${rs.map((r) => `    ${acc(r)} += xv * w1(n + ${r}u, k);`).join('\n')}
  }
${rs.map((r) => `  let s${r} = ${acc(r)};`).join('\n')}`;
	const lid = io.prologue === undefined ? '' : ' @builtin(local_invocation_index) lid: u32,';
	return `${quant ? weightBlockDot(p.format as 'q8' | 'q4', 'params.K', io.x) : ''}
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>,${lid}
        @builtin(num_workgroups) nwg: vec3<u32>) {
${io.prologue === undefined ? '' : `  ${io.prologue}\n`}  let n = (gid.x + gid.y * nwg.x * WG) * ${rows}u;
  if (n >= params.rows) { return; }
${loop}
  ${io.emit(rs.map((r) => `s${r}`))}
}
`;
}

/**
 * The workgroup/subgroup variants after the header: each invocation sums a strided slice of K
 * for 4 rows at once (x is loaded once per 4 rows), then the workgroup reduces and invocation 0
 * emits the 4 sums.
 */
export function renderSplitKMain(p: RowDotParams, io: RowDotIo): string {
	const loop = p.vec4
		? `  for (var k = lid * 4u; k < params.K; k += WG * 4u) {
    let xv = ${io.x('k / 4u')};
    part += vec4<f32>(${R.map((j) => `dot(xv, w4(n${j}, k))`).join(', ')});
  }`
		: `  for (var k = lid; k < params.K; k += WG) {
    part += ${io.x('k')} * vec4<f32>(${R.map((j) => `w1(n${j}, k)`).join(', ')});
  }`;
	const emit = io.emit(R.map((j) => `tot[${j}]`));
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
${emit}
  }`
			: `  let s = subgroupAdd(part);
  if (sgid == 0u) { red[atomicAdd(&slots, 1u)] = s; }
  workgroupBarrier();
  if (lid == 0u) {
    var tot = vec4<f32>(0.0);
    let n = atomicLoad(&slots);
    for (var i = 0u; i < n; i++) { tot += red[i]; }
${emit}
  }`;
	const sgDecl = p.variant === 'subgroup' ? 'var<workgroup> slots: atomic<u32>;' : '';
	const sgArgs = p.variant === 'subgroup' ? ', @builtin(subgroup_invocation_id) sgid: u32' : '';
	return `var<workgroup> red: array<vec4<f32>, WG>;
${sgDecl}
@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>${sgArgs}) {
${io.prologue === undefined ? '' : `  ${io.prologue}\n`}  let row0 = (wg.x + wg.y * nwg.x) * ${MATVEC_ROWS_PER_WG}u;
  if (row0 >= params.rows) { return; } // uniform: the whole workgroup leaves
${R.map((j) => `  let n${j} = min(row0 + ${j}u, params.rows - 1u);`).join('\n')}
  var part = vec4<f32>(0.0);
${loop}
${reduce}
}
`;
}
