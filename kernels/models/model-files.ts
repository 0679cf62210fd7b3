/**
 * Opens a model — a Hugging Face folder or a GGUF file — into {@link ModelFiles}: the config,
 * the tensor index and the tokenizer, with nothing but headers read. `readWeight` then reads
 * one tensor in its planned GPU format (quantizing on load through the cache when asked).
 */
import type { WeightData, WeightFormat } from '../gpu/tensor.js';
import { quantizeQ4 } from '../quant/q4.js';
import { quantizeQ8 } from '../quant/q8.js';
import { applyAdapter } from './adapter.js';
import { parseHfConfig, type ModelConfig } from './config.js';
import { ModelError } from './errors.js';
import { openGguf } from './gguf.js';
import type { QuantCache } from './quant-cache.js';
import { indexSafetensors } from './safetensors.js';
import { readText, type ModelSource } from './source.js';
import { readAs, readF32, requantizes, type TensorIndex } from './tensors.js';
import { ModelTokenizer } from './tokenizer.js';
import type { PlannedTensor } from './weights.js';

export interface ModelFiles {
	source: ModelSource;
	format: 'safetensors' | 'gguf';
	config: ModelConfig;
	index: TensorIndex;
	tokenizer: ModelTokenizer | null;
	/** The model's own name, where the file gives one (GGUF `general.name`). */
	name?: string;
}

/** What {@link openModel} may add to the model. */
export interface OpenOptions {
	/** A PEFT LoRA adapter folder, merged into the weights as they are read (adapter.ts). */
	adapter?: ModelSource | null;
}

/** Opens `source` as an HF folder, or the GGUF file `gguf` inside it (with `adapter` merged in). */
export async function openModel(source: ModelSource, gguf: string | null = null, options: OpenOptions = {}): Promise<ModelFiles> {
	if (options.adapter) return applyAdapter(await openModel(source, gguf), options.adapter);
	if (gguf) return openGguf(source, gguf);
	if (!(await source.has('config.json'))) {
		throw new ModelError('missing-file', `${source.label}: config.json not found (expected a Hugging Face model folder or a .gguf file)`);
	}
	const generation = (await source.has('generation_config.json')) ? await source.readJson('generation_config.json') : undefined;
	const config = parseHfConfig(await source.readJson('config.json'), generation);
	const index = await indexSafetensors(source);
	let tokenizer: ModelTokenizer | null = null;
	if (await source.has('tokenizer.json')) {
		const tc = ((await source.has('tokenizer_config.json')) ? await source.readJson('tokenizer_config.json') : {}) as Record<string, unknown>;
		tokenizer = new ModelTokenizer(await source.readJson('tokenizer.json'), { ...tc, chat_template: tc.chat_template ?? (await chatTemplateFile(source)) });
		const eos = tokenizer.eosTokenId();
		if (config.eosTokenIds.length === 0 && eos !== undefined) config.eosTokenIds.push(eos);
	}
	return { source, format: 'safetensors', config, index, tokenizer };
}

/**
 * The chat template saved beside the tokenizer: transformers writes `chat_template.jinja` (older
 * versions `chat_template.json`) instead of a `chat_template` in tokenizer_config.json.
 */
async function chatTemplateFile(source: ModelSource): Promise<string | undefined> {
	if (await source.has('chat_template.jinja')) return readText(source, 'chat_template.jinja');
	if (!(await source.has('chat_template.json'))) return undefined;
	const t = ((await source.readJson('chat_template.json')) as { chat_template?: unknown } | null)?.chat_template;
	if (typeof t !== 'string') throw new ModelError('bad-format', `${source.label}: chat_template.json has no "chat_template" string`);
	return t;
}

/**
 * Reads one planned tensor as the host data `uploadWeight` takes for its format; `quantized`: it
 * was quantized on load (a float matrix into q8/q4, a GGUF block type requantized into q8).
 */
export async function readWeight(
	files: ModelFiles,
	t: PlannedTensor,
	cache: QuantCache | null
): Promise<{ format: WeightFormat; data: WeightData; cached: boolean; quantized: boolean }> {
	const s = t.stored;
	// Float matrices quantized on load, and GGUF block types requantized into q8, go through the cache.
	const requant = t.format === 'q8' && requantizes(s.dtype);
	const quantize = requant || ((t.format === 'q8' || t.format === 'q4') && (s.dtype === 'f32' || s.dtype === 'f16' || s.dtype === 'bf16'));
	if (!quantize) return { format: t.format, data: await readAs(files.source, s, t.format), cached: false, quantized: false };
	const key = `v1:${files.source.label}/${s.file}:${await files.source.fingerprint(s.file)}:${s.fileName}:${t.format}`;
	const hit = cache ? await cache.get(key) : null;
	const [rows, cols] = t.shape;
	const words = (rows * cols) / 32 * (t.format === 'q8' ? 9 : 5);
	if (hit && hit.length === words) return { format: t.format, data: hit, cached: true, quantized: true };
	let data: Uint32Array;
	if (requant) data = (await readAs(files.source, s, 'q8')) as Uint32Array;
	else {
		const f = await readF32(files.source, s);
		data = t.format === 'q8' ? quantizeQ8(f, rows, cols) : quantizeQ4(f, rows, cols);
	}
	if (cache) await cache.put(key, data);
	return { format: t.format, data, cached: false, quantized: true };
}
