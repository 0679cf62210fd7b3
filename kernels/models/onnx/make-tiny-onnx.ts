/**
 * Writes public/models/oasis-tiny-onnx/: the bundled tiny model (public/models/oasis-tiny, same
 * weights, tokenizer and chat template) as ONNX files for Transformers.js, in the folder layout
 * it looks for: config.json, generation_config.json, tokenizer.json, tokenizer_config.json and
 * onnx/model{suffix}.onnx per dtype — `model.onnx` (fp32) and `model_q4.onnx` (4-bit
 * MatMulNBits, f32 activations: runs on WebGPU without shader-f16 and on WASM).
 * Deterministic: running it again gives the same bytes.
 *
 *   npx tsx kernels/models/onnx/make-tiny-onnx.ts [SOURCE_DIR] [OUT_DIR]
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openModel } from '../model-files.js';
import { folderSource } from '../source-node.js';
import { refWeights } from '../testing/ref-weights.js';
import { buildLlamaOnnx, type OnnxWeightFormat } from './llama-graph.js';
import { encodeModel } from './proto.js';

/** Bump when the graph changes (written into the files as producer_version). */
export const GRAPH_VERSION = '1';

/** File name per format, as Transformers.js names them by dtype (fp32: '', q4: '_q4'). */
export const ONNX_FILES: Record<OnnxWeightFormat, string> = { fp32: 'onnx/model.onnx', q4: 'onnx/model_q4.onnx' };

const COPIED = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json'];

export async function makeTinyOnnx(source: string, out: string): Promise<void> {
	const files = await openModel(folderSource(source));
	const weights = await refWeights(files, 'none');
	await mkdir(join(out, 'onnx'), { recursive: true });
	for (const f of COPIED) await copyFile(join(source, f), join(out, f));
	for (const format of ['fp32', 'q4'] as const) {
		const { model } = buildLlamaOnnx(files.config, weights, format, GRAPH_VERSION);
		await writeFile(join(out, ONNX_FILES[format]), encodeModel(model));
	}
	await writeFile(join(out, 'README.md'), README);
}

const README = `# oasis-tiny-onnx

The bundled tiny model (\`../oasis-tiny\`: the same weights — trained by Oasis's own trainer, see
its README — tokenizer and ChatML template) as
ONNX for Transformers.js (\`model_type: llama\`, decoder with KV cache: inputs \`input_ids\`,
\`attention_mask\`, \`position_ids\`, \`past_key_values.{i}.key|value\`; outputs \`logits\`,
\`present.{i}.key|value\`). Like its source it is tiny (about 0.9 M parameters): English-looking,
assistant-style text, not correct answers. It runs the Transformers.js engine offline and
cross-checks it against our kernels.

- \`onnx/model.onnx\`: f32 weights (dtype \`fp32\`).
- \`onnx/model_q4.onnx\`: linear layers as \`com.microsoft.MatMulNBits\` (4-bit symmetric blocks of
  32, f32 scales; dtype \`q4\`), embedding f32. Activations are f32, so it runs on WebGPU without
  \`shader-f16\` and on WASM.

Written by \`kernels/models/onnx/make-tiny-onnx.ts\` (our own protobuf writer, no converter);
rebuild byte-identical with \`npx tsx kernels/models/onnx/make-tiny-onnx.ts\`.
`;

if (import.meta.url === `file://${process.argv[1]}`) {
	await makeTinyOnnx(process.argv[2] ?? 'public/models/oasis-tiny', process.argv[3] ?? 'public/models/oasis-tiny-onnx');
}
