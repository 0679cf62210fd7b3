/**
 * Typed errors for the GPU layer and the ops. Every error says what to do next,
 * because the usual cause (no WebGPU, no `shader-f16`, a weight over the binding limit)
 * is fixed by the caller, not by retrying.
 */

/** Discriminant of {@link GpuError}. */
export type GpuErrorCode =
	| 'no-webgpu'
	| 'no-adapter'
	| 'missing-feature'
	| 'limit-exceeded'
	| 'invalid-input'
	| 'gpu-validation'
	| 'device-lost';

/** An error from the GPU layer or an op's input checks. */
export class GpuError extends Error {
	override readonly name = 'GpuError';
	constructor(
		readonly code: GpuErrorCode,
		message: string
	) {
		super(message);
	}
}

/** Throws `invalid-input` unless `cond` holds; `what` names the op and the argument. */
export function check(cond: boolean, what: string): asserts cond {
	if (!cond) throw new GpuError('invalid-input', what);
}

/** Throws `limit-exceeded` when a binding of `bytes` would exceed the device limit. */
export function checkBindingSize(bytes: number, limit: number, what: string): void {
	if (bytes > limit) {
		throw new GpuError(
			'limit-exceeded',
			`${what}: ${bytes} bytes exceed maxStorageBufferBindingSize (${limit}). ` +
				'Split the weight along its rows (uploadWeight does this) or use a smaller model.'
		);
	}
}

/** Throws `missing-feature` with a hint to use the f32 / non-subgroup path instead. */
export function requireFeature(has: boolean, feature: 'shader-f16' | 'subgroups', what: string): void {
	if (!has) {
		throw new GpuError(
			'missing-feature',
			`${what} needs the WebGPU feature '${feature}', which this adapter/device lacks. ` +
				(feature === 'shader-f16'
					? 'Load the weights as f32 (or a quantized format) instead.'
					: "Use the variant without subgroups (variant: 'workgroup')."
				)
		);
	}
}
