/**
 * The preamble every compute kernel repeats — `struct Params`, the uniform at binding 0, the
 * storage buffers after it, the WG override — and the two common kernel shapes built on it:
 * one invocation per element, and one workgroup per row.
 */
import { LINEAR_WG, WG_REDUCE } from './reduce.wgsl.js';

/** `main`'s arguments in elementwise kernels (dispatches spread over x and y by `grid()`). */
export const GID_ARGS = `@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>`;
/** The linear invocation id `i` for {@link GID_ARGS}. */
export const LINEAR_ID = `let i = gid.x + gid.y * nwg.x * WG;`;

/**
 * A binding after `params`: `'read NAME: TYPE'` or `'read_write NAME: TYPE'` (a storage
 * buffer), or a function that renders the WGSL of the binding at the index it is given
 * (e.g. `weightAccess`).
 */
export type KernelBinding = string | ((binding: number) => string);

/**
 * `enables`, then `struct Params { fields }`, `params` at binding 0, `bindings` at 1, 2, … in
 * order, and `override WG: u32 = 64u;` (no newline after it).
 */
export function kernelHeader(fields: string, bindings: KernelBinding[], enables = ''): string {
	const decl = (b: KernelBinding, i: number) => {
		if (typeof b === 'function') return b(i + 1);
		const space = b.indexOf(' ');
		return `@group(0) @binding(${i + 1}) var<storage, ${b.slice(0, space)}> ${b.slice(space + 1)};`;
	};
	return `${enables}
struct Params { ${fields} }
@group(0) @binding(0) var<uniform> params: Params;
${bindings.map(decl).join('\n')}
override WG: u32 = 64u;`;
}

/**
 * One invocation per element: `body` (lines ending in newlines) runs with the linear id `i`
 * and must bound-check it itself.
 */
export function elementwise(fields: string, bindings: KernelBinding[], body: string, enables = ''): string {
	return `${kernelHeader(fields, bindings, enables)}
@compute @workgroup_size(WG)
fn main(${GID_ARGS}) {
  ${LINEAR_ID}
${body}}
`;
}

/**
 * One workgroup per row (`row` < params.`rows`; dispatches spread by `grid()`), with the
 * workgroup reductions `wg_sum`/`wg_max`: `body` runs with `row` and `lid`, from uniform
 * control flow.
 */
export function rowKernel(fields: string, bindings: KernelBinding[], rows: string, body: string): string {
	return `${kernelHeader(fields, bindings)}
${WG_REDUCE}
${LINEAR_WG}
@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = linear_wg(wg, nwg);
  if (row >= params.${rows}) { return; }
${body}}
`;
}
