/** Test helper: the weights of an opened model as the GPU sees them, as f32 for LlamaRef. */
import { fromF16Array } from '../../gpu/f16.js';
import { dequantizeQ4 } from '../../quant/q4.js';
import { dequantizeQ8 } from '../../quant/q8.js';
import type { RefWeights } from '../llama.ref.js';
import { readWeight, type ModelFiles } from '../model-files.js';
import type { QuantCache } from '../quant-cache.js';
import { readF32 } from '../tensors.js';
import { planTensors, type QuantMode } from '../weights.js';

export async function refWeights(files: ModelFiles, quant: QuantMode = 'none', hasF16 = true, cache: QuantCache | null = null): Promise<RefWeights> {
	const plan = planTensors(files.config, files.index, {
		quant,
		hasF16,
		limits: { maxStorageBufferBindingSize: 2 ** 31, maxBufferSize: 2 ** 32 },
		label: files.source.label
	});
	const out: RefWeights = new Map();
	for (const t of plan) {
		if (t.kind === 'vector') {
			out.set(t.name, await readF32(files.source, t.stored));
			continue;
		}
		const r = await readWeight(files, t, cache);
		const [rows, cols] = t.shape;
		const d = r.data;
		out.set(
			t.name,
			r.format === 'f32'
				? (d as Float32Array)
				: r.format === 'f16'
					? fromF16Array(d as Uint16Array)
					: r.format === 'q8'
						? dequantizeQ8(d as Uint32Array, rows, cols)
						: dequantizeQ4(d as Uint32Array, rows, cols)
		);
	}
	return out;
}
