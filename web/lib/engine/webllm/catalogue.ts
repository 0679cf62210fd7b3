/**
 * WebLLM's models as catalogue entries. The records are a snapshot (prebuilt.ts) of the chosen
 * entries of `@mlc-ai/web-llm`'s `prebuiltAppConfig`, so the catalogue (and the Models page) never
 * imports web-llm's 6 MB chunk; catalogue.test.ts fails when the installed web-llm disagrees with
 * the snapshot (regenerate it with `npx tsx web/lib/engine/webllm/snapshot.ts`).
 */
import type { ModelEntry } from '../catalogue';

/** The fields of web-llm's `ModelRecord` the catalogue uses. */
export interface WebLlmRecord {
	model_id: string;
	model: string;
	model_lib: string;
	vram_required_MB?: number;
	low_resource_required?: boolean;
	buffer_size_required_bytes?: number;
	required_features?: string[];
	overrides?: { context_window_size?: number };
}

/** The small chat models offered, by web-llm id: f16 and f32 builds, so every WebGPU device gets some. */
export const WEBLLM_PICK = [
	'SmolLM2-360M-Instruct-q4f16_1-MLC',
	'SmolLM2-360M-Instruct-q4f32_1-MLC',
	'Qwen2.5-0.5B-Instruct-q4f16_1-MLC',
	'Qwen2.5-0.5B-Instruct-q4f32_1-MLC',
	'Qwen3-0.6B-q4f16_1-MLC',
	'Qwen3-0.6B-q4f32_1-MLC',
	'Llama-3.2-1B-Instruct-q4f16_1-MLC',
	'Llama-3.2-1B-Instruct-q4f32_1-MLC',
	'TinyLlama-1.1B-Chat-v1.0-q4f32_1-MLC-1k',
	'gemma-2-2b-it-q4f16_1-MLC-1k',
	'Phi-3.5-mini-instruct-q4f16_1-MLC-1k'
] as const;

/** Licences of the model families (from their model cards); 'see model card' when not listed. */
const LICENSES: [RegExp, string][] = [
	[/^SmolLM2-/, 'Apache-2.0'],
	[/^Qwen2\.5-0\.5B|^Qwen3-/, 'Apache-2.0'],
	[/^Llama-3\.2-/, 'Llama 3.2 Community License'],
	[/^TinyLlama-/, 'Apache-2.0'],
	[/^gemma-2-/, 'Gemma Terms of Use'],
	[/^Phi-3\.5-/, 'MIT']
];

const MiB = 1 << 20;

/**
 * A short readable name from web-llm's id: "Qwen2.5 0.5B Instruct q4f16", "gemma 2 2b it q4f16, 1k"
 * (short: it also fills the chat's model picker on a phone; the engine is shown beside it).
 */
function nameOf(id: string): string {
	const m = /^(.*?)-(q\d+f\d+)(?:_\d+)?-MLC(?:-(\d+k))?$/.exec(id);
	if (!m) return id;
	return `${m[1].replace(/-/g, ' ')} ${m[2]}${m[3] ? `, ${m[3]}` : ''}`;
}

/**
 * The catalogue entry of one web-llm record. A q?f16 build computes in f16, so it needs
 * shader-f16 even where web-llm's record does not list it in `required_features`.
 * web-llm publishes no download size: `sizeBytes` is the VRAM estimate, an upper bound (the
 * weights are most of it).
 */
export function webllmEntry(r: WebLlmRecord): ModelEntry {
	const memoryBytes = Math.round((r.vram_required_MB ?? 0) * MiB);
	const ctx = r.overrides?.context_window_size ?? 4096;
	const license = LICENSES.find(([re]) => re.test(r.model_id))?.[1] ?? 'see model card';
	return {
		id: r.model_id,
		name: nameOf(r.model_id),
		engine: 'webllm',
		description: `${r.model.replace(/^https:\/\/huggingface\.co\//, '')}, compiled by MLC. Downloaded from Hugging Face on first use and kept by WebLLM.${r.low_resource_required ? ' Suited to phones and small GPUs.' : ''}`,
		license,
		sizeBytes: memoryBytes,
		memoryBytes,
		bundled: false,
		maxSeq: ctx,
		requires: {
			webgpu: true,
			shaderF16: (r.required_features ?? []).includes('shader-f16') || /-q\d+f16/.test(r.model_id),
			...(r.buffer_size_required_bytes ? { maxBufferBytes: r.buffer_size_required_bytes } : {})
		},
		webllm: { modelId: r.model_id }
	};
}

/** The picked records of `records`, in pick order; throws if one is missing (web-llm dropped it). */
export function pickRecords(records: readonly WebLlmRecord[], pick: readonly string[] = WEBLLM_PICK): WebLlmRecord[] {
	return pick.map((id) => {
		const r = records.find((x) => x.model_id === id);
		if (!r) throw new Error(`web-llm has no prebuilt model '${id}': update WEBLLM_PICK`);
		const { model_id, model, model_lib, vram_required_MB, low_resource_required, buffer_size_required_bytes, required_features, overrides } = r;
		return JSON.parse(
			JSON.stringify({
				model_id,
				model,
				model_lib,
				vram_required_MB,
				low_resource_required,
				buffer_size_required_bytes,
				required_features,
				overrides: overrides?.context_window_size ? { context_window_size: overrides.context_window_size } : undefined
			})
		) as WebLlmRecord;
	});
}
