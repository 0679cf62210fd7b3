/** Builds test weights in every format together with the exact values the GPU will see. */
import type { GpuContext } from '../gpu/context.js';
import { fromF16Array, toF16Array } from '../gpu/f16.js';
import { uploadWeight, type Weight, type WeightFormat } from '../gpu/tensor.js';
import { dequantizeQ4, quantizeQ4 } from '../quant/q4.js';
import { dequantizeQ8, quantizeQ8 } from '../quant/q8.js';

export interface TestWeight {
	weight: Weight;
	/** The weight as the kernel sees it (after f16 rounding or quantization), [rows, cols]. */
	dense: Float32Array;
}

/** Uploads `values` [rows, cols] in `format`, optionally split into parts of <= maxPartBytes. */
export function makeWeight(
	ctx: GpuContext,
	format: WeightFormat,
	values: Float32Array,
	rows: number,
	cols: number,
	maxPartBytes?: number
): TestWeight {
	switch (format) {
		case 'f32':
			return { weight: uploadWeight(ctx, 'f32', values, rows, cols, { maxPartBytes }), dense: values };
		case 'f16': {
			const bits = toF16Array(values);
			return { weight: uploadWeight(ctx, 'f16', bits, rows, cols, { maxPartBytes }), dense: fromF16Array(bits) };
		}
		case 'q8': {
			const q = quantizeQ8(values, rows, cols);
			return { weight: uploadWeight(ctx, 'q8', q, rows, cols, { maxPartBytes }), dense: dequantizeQ8(q, rows, cols) };
		}
		case 'q4': {
			const q = quantizeQ4(values, rows, cols);
			return { weight: uploadWeight(ctx, 'q4', q, rows, cols, { maxPartBytes }), dense: dequantizeQ4(q, rows, cols) };
		}
	}
}
