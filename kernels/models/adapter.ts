/**
 * PEFT LoRA adapters (a folder with `adapter_config.json` and `adapter_model.safetensors`, as
 * Hugging Face `peft` saves them and server/training/peft.ts exports a job's version) merged
 * into a model's weights at load: W' = W + s·B·A for each adapted projection, with
 * s = lora_alpha / r (lora_alpha / √r with `use_rslora`), A [r, in] and B [out, r].
 *
 * `applyAdapter(files, adapter)` returns the same model with the adapted matrices served merged:
 * its source answers the merged bytes of each target tensor under a file name of its own, read
 * (and merged) when the loader reads that tensor, so everything downstream — the load plan,
 * q8/q4 quantization on load and its cache, the GPU upload — sees plain weights and quantizes the
 * merged ones. Merged tensors keep the base's float dtype (f32, f16 or bf16, rounded once); a
 * quantized GGUF tensor is merged from its dequantized values and kept as f16 (choose --quant
 * q8/q4 to quantize it again). The adapter's A and B are read and checked when it is applied, so
 * a wrong adapter fails before any GPU work, naming the file and tensor.
 *
 * A sequence-classification adapter (`task_type: "SEQ_CLS"`, as PEFT saves a LoRA'd
 * `LlamaForSequenceClassification` with `num_labels` 1 — a reward model, e.g. a reward job's
 * export) also carries its head `base_model.model.score.weight` [1, hidden]: the LoRA is merged
 * as for a causal LM and the head is handed over as `scoreHead` (LlamaModel.score reads it).
 */
import { z } from 'zod';
import { f32ToF16Bits } from '../gpu/f16.js';
import { ModelError } from './errors.js';
import type { ModelFiles } from './model-files.js';
import { readSafetensorsHeader } from './safetensors.js';
import type { ModelSource } from './source.js';
import { readF32, type StoredDType, type StoredTensor, type TensorIndex } from './tensors.js';

export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';

/** The `adapter_config.json` fields the merge reads (others are kept but ignored). */
export const adapterConfigSchema = z
	.object({
		peft_type: z.literal('LORA', { error: 'only LoRA adapters (peft_type "LORA") can be merged' }),
		r: z.number().int().positive(),
		lora_alpha: z.number().positive(),
		target_modules: z.union([z.array(z.string().min(1)).min(1), z.string().min(1)]),
		bias: z.enum(['none'], { error: 'bias must be "none" (adapters that train biases are not supported)' }).default('none'),
		fan_in_fan_out: z.literal(false, { error: 'fan_in_fan_out must be false (it is for GPT-2 style Conv1D layers, which Llama models have none of)' }).default(false),
		use_rslora: z.boolean().default(false),
		use_dora: z.literal(false, { error: 'DoRA adapters (use_dora) are not supported; merge them with peft and load the merged model' }).default(false),
		rank_pattern: z.record(z.string(), z.unknown()).nullish(),
		alpha_pattern: z.record(z.string(), z.unknown()).nullish(),
		base_model_name_or_path: z.string().nullish(),
		task_type: z.string().nullish(),
		modules_to_save: z.array(z.string()).nullish()
	})
	.passthrough();
export type AdapterConfig = z.infer<typeof adapterConfigSchema>;

/** One adapted matrix: its base tensor, A [r, in], B [out, r] and the scale. */
export interface LoraPair {
	base: string;
	a: Float32Array;
	b: Float32Array;
	rank: number;
	scale: number;
}

/** An adapter read and checked against a model. */
export interface LoadedAdapter {
	config: AdapterConfig;
	/** Adapted matrices by their base tensor's canonical name. */
	pairs: Map<string, LoraPair>;
	label: string;
	/** 'SEQ_CLS' for a sequence-classification (reward) adapter; 'CAUSAL_LM' for any other. */
	taskType: 'CAUSAL_LM' | 'SEQ_CLS';
	/** The SEQ_CLS head `score.weight` [hidden] (one label), or null for a causal-LM adapter. */
	scoreHead: Float32Array | null;
}

/** PEFT's name of a sequence-classification head saved with the adapter (`modules_to_save`). */
export const SCORE_HEAD = 'base_model.model.score.weight';

/** `base_model.model.<module>.lora_{A,B}[.<adapter name>].weight` → the module and which matrix. */
const LORA_NAME = /^base_model\.model\.(.+)\.lora_([AB])(?:\.([\w-]+))?\.weight$/;

/**
 * Reads and checks a PEFT adapter folder against `files`: the config (zod), every tensor named
 * as PEFT names LoRA weights of a matrix the model has, A and B of each with rank r and the
 * base's dimensions. @throws ModelError naming the file, the tensor and what was expected
 */
export async function readAdapter(files: ModelFiles, adapter: ModelSource): Promise<LoadedAdapter> {
	for (const f of [ADAPTER_CONFIG, ADAPTER_WEIGHTS]) {
		if (!(await adapter.has(f))) throw new ModelError('missing-file', `${adapter.label}: ${f} not found (a PEFT adapter folder has ${ADAPTER_CONFIG} and ${ADAPTER_WEIGHTS})`);
	}
	const parsed = adapterConfigSchema.safeParse(await adapter.readJson(ADAPTER_CONFIG));
	if (!parsed.success) {
		throw new ModelError('bad-config', `${adapter.label}/${ADAPTER_CONFIG}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`).join('; ')}`);
	}
	const config = parsed.data;
	if (typeof config.target_modules === 'string') {
		throw new ModelError('unsupported', `${adapter.label}/${ADAPTER_CONFIG}: target_modules is the pattern "${config.target_modules}"; only a list of module names (e.g. ["q_proj", "v_proj"]) is supported`);
	}
	for (const key of ['rank_pattern', 'alpha_pattern'] as const) {
		if (config[key] && Object.keys(config[key]).length > 0) throw new ModelError('unsupported', `${adapter.label}/${ADAPTER_CONFIG}: ${key} (per-module ranks or alphas) is not supported`);
	}
	const targets = new Set(config.target_modules);
	const scale = config.lora_alpha / (config.use_rslora ? Math.sqrt(config.r) : config.r);
	const index: TensorIndex = { tensors: new Map(), unsupported: new Map() };
	await readSafetensorsHeader(adapter, ADAPTER_WEIGHTS, index);
	const where = `${adapter.label}/${ADAPTER_WEIGHTS}`;
	for (const [name, why] of index.unsupported) throw new ModelError('bad-dtype', `${where}: ${why.replace(`${ADAPTER_WEIGHTS}: `, '')} (tensor ${name})`);
	const halves = new Map<string, { a?: StoredTensor; b?: StoredTensor }>();
	const taskType = config.task_type === 'SEQ_CLS' ? 'SEQ_CLS' : 'CAUSAL_LM';
	let head: StoredTensor | null = null;
	for (const t of index.tensors.values()) {
		if (t.name === SCORE_HEAD) {
			if (taskType !== 'SEQ_CLS') {
				throw new ModelError('bad-format', `${where}: tensor ${t.name} is a sequence-classification head, but ${ADAPTER_CONFIG} has task_type ${JSON.stringify(config.task_type ?? null)}; a reward model's adapter says "SEQ_CLS"`);
			}
			const D = files.config.hiddenSize;
			if (t.shape.length !== 2 || t.shape[0] !== 1 || t.shape[1] !== D) {
				throw new ModelError('bad-shape', `${where}: tensor ${t.name} has shape [${t.shape}], expected [1,${D}] (one label over the hidden size of ${files.source.label}): is the adapter for this base model?`);
			}
			head = t;
			continue;
		}
		const m = LORA_NAME.exec(t.name);
		if (!m) throw new ModelError('bad-format', `${where}: tensor ${t.name} is not a LoRA weight (expected base_model.model.<module>.lora_A.weight or .lora_B.weight)`);
		const base = `${m[1]}.weight`;
		const module = m[1]!.split('.').at(-1)!;
		if (!targets.has(module) && !targets.has(m[1]!)) throw new ModelError('bad-format', `${where}: tensor ${t.name} adapts ${module}, which ${ADAPTER_CONFIG}'s target_modules (${[...targets].join(', ')}) does not list`);
		const h = halves.get(base) ?? {};
		h[m[2] === 'A' ? 'a' : 'b'] = t;
		halves.set(base, h);
	}
	if (halves.size === 0) throw new ModelError('missing-tensor', `${where}: no LoRA tensors (expected base_model.model.<module>.lora_A.weight and .lora_B.weight)`);
	if (taskType === 'SEQ_CLS' && !head) {
		throw new ModelError('missing-tensor', `${where}: ${SCORE_HEAD} is missing; ${ADAPTER_CONFIG} says task_type "SEQ_CLS", whose head [1, ${files.config.hiddenSize}] the adapter must carry (modules_to_save: ["score"])`);
	}
	const pairs = new Map<string, LoraPair>();
	for (const [base, h] of halves) {
		const stem = `base_model.model.${base.replace(/\.weight$/, '')}`;
		if (!h.a || !h.b) throw new ModelError('missing-tensor', `${where}: ${stem}.lora_${h.a ? 'B' : 'A'}.weight is missing (each adapted matrix needs lora_A and lora_B)`);
		const w = files.index.tensors.get(base);
		if (!w || w.shape.length !== 2) {
			throw new ModelError('missing-tensor', `${where}: tensor ${h.a.name} adapts ${base}, which ${files.source.label} has no matrix named (is this adapter for another model?)`);
		}
		const [out, inp] = w.shape as [number, number];
		const r = config.r;
		const check = (t: StoredTensor, want: [number, number]) => {
			if (t.shape.length !== 2 || t.shape[0] !== want[0] || t.shape[1] !== want[1]) {
				throw new ModelError(
					'bad-shape',
					`${where}: tensor ${t.name} has shape [${t.shape}], expected [${want}] (r = ${r} from ${ADAPTER_CONFIG}; ${base} of ${files.source.label} is [${w.shape}]): is the adapter for this base model?`
				);
			}
		};
		check(h.a, [r, inp]);
		check(h.b, [out, r]);
		pairs.set(base, { base, a: await readF32(adapter, h.a), b: await readF32(adapter, h.b), rank: r, scale });
	}
	return { config, pairs, label: adapter.label, taskType, scoreHead: head ? await readF32(adapter, head) : null };
}

/** W + scale·B·A for a row-major W [out, in] (accumulated in f64, rounded once). */
export function mergeLora(w: Float32Array, p: Pick<LoraPair, 'a' | 'b' | 'rank' | 'scale'>, out: number, inp: number): Float32Array {
	const merged = new Float32Array(out * inp);
	const row = new Float64Array(inp);
	const r = p.rank;
	for (let o = 0; o < out; o++) {
		for (let i = 0; i < inp; i++) row[i] = w[o * inp + i]!;
		for (let k = 0; k < r; k++) {
			const c = p.scale * p.b[o * r + k]!;
			if (c === 0) continue;
			const a = k * inp;
			for (let i = 0; i < inp; i++) row[i] += c * p.a[a + i]!;
		}
		for (let i = 0; i < inp; i++) merged[o * inp + i] = row[i]!;
	}
	return merged;
}

/** The dtype a merged tensor is stored as: the base's float dtype; f16 for a quantized base. */
function mergedDType(d: StoredDType): 'f32' | 'f16' | 'bf16' {
	return d === 'f32' || d === 'bf16' ? d : 'f16';
}

function encode(values: Float32Array, dtype: 'f32' | 'f16' | 'bf16'): Uint8Array {
	if (dtype === 'f32') return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
	const out = new Uint16Array(values.length);
	if (dtype === 'f16') {
		for (let i = 0; i < values.length; i++) out[i] = f32ToF16Bits(values[i]!);
	} else {
		const u = new Uint32Array(values.buffer, values.byteOffset, values.length);
		for (let i = 0; i < values.length; i++) {
			const x = u[i]!;
			// Round to nearest even; NaN stays NaN.
			out[i] = (x & 0x7fffffff) > 0x7f800000 ? (x >>> 16) | 0x40 : (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
		}
	}
	return new Uint8Array(out.buffer);
}

const MERGED_DIR = 'lora-merged/';

/**
 * `files` with `adapter` merged into its weights (see the module note). The returned source has
 * the base's label, so unadapted tensors share the base's quantization cache entries; merged
 * ones live under their own file names, fingerprinted by the base file and the adapter's files.
 * @throws ModelError from {@link readAdapter}
 */
export async function applyAdapter(files: ModelFiles, adapter: ModelSource): Promise<ModelFiles & { adapter: LoadedAdapter }> {
	const loaded = await readAdapter(files, adapter);
	const base = files.source;
	const adapterPrint = `${await adapter.fingerprint(ADAPTER_CONFIG)}|${await adapter.fingerprint(ADAPTER_WEIGHTS)}`;
	const merged = new Map<string, { stored: StoredTensor; original: StoredTensor; pair: LoraPair }>();
	const tensors = new Map(files.index.tensors);
	for (const [name, pair] of loaded.pairs) {
		const original = files.index.tensors.get(name)!;
		const dtype = mergedDType(original.dtype);
		const n = original.shape[0]! * original.shape[1]!;
		const file = `${MERGED_DIR}${name}`;
		const stored: StoredTensor = { name, fileName: original.fileName, file, dtype, shape: [...original.shape], start: 0, end: n * (dtype === 'f32' ? 4 : 2) };
		merged.set(file, { stored, original, pair });
		tensors.set(name, stored);
	}
	const mergedBytes = async (file: string): Promise<Uint8Array> => {
		const m = merged.get(file)!;
		const [out, inp] = m.original.shape as [number, number];
		return encode(mergeLora(await readF32(base, m.original), m.pair, out, inp), m.stored.dtype as 'f32' | 'f16' | 'bf16');
	};
	const source: ModelSource = {
		label: base.label,
		has: async (name) => merged.has(name) || base.has(name),
		size: async (name) => merged.get(name)?.stored.end ?? base.size(name),
		async readRange(name, start, end) {
			if (!merged.has(name)) return base.readRange(name, start, end);
			const bytes = await mergedBytes(name);
			if (end > bytes.byteLength) throw new ModelError('truncated', `${name}: expected bytes ${start}..${end}, the merged tensor has ${bytes.byteLength}`);
			return bytes.subarray(start, end);
		},
		readJson: (name) => base.readJson(name),
		async fingerprint(name) {
			const m = merged.get(name);
			return m ? `${await base.fingerprint(m.original.file)}+lora(${adapterPrint})` : base.fingerprint(name);
		}
	};
	return { ...files, source, index: { tensors, unsupported: files.index.unsupported }, adapter: loaded };
}
