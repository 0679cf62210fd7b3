/**
 * The model catalogue: every model the app can offer, whichever engine runs it. The Models page
 * lists it, the chat's model picker offers the entries the device can run, and the engine
 * worker dispatches `load(modelId)` to the backend named by `engine`.
 */
import { z } from 'zod';
import { webllmEntry } from './webllm/catalogue';
import { WEBLLM_RECORDS } from './webllm/prebuilt';

/** Which backend runs a model: our own kernels, Transformers.js (ONNX) or WebLLM (MLC). */
export type EngineKind = 'oasis' | 'transformers' | 'webllm';

/** One file of a downloadable model, checked against its hash after download. */
export interface ModelFile {
	/** Path relative to the entry's `url`. */
	path: string;
	size: number;
	/** Lower-case hex SHA-256 of the whole file. */
	sha256: string;
}

/** What a device must have to run a model. */
export interface ModelRequirements {
	/** Needs WebGPU at all (false: also runs on WASM/CPU). */
	webgpu: boolean;
	/** Needs the `shader-f16` feature. */
	shaderF16: boolean;
	/** Largest single GPU buffer the model binds, in bytes (checked against maxStorageBufferBindingSize / maxBufferSize). */
	maxBufferBytes?: number;
}

export interface ModelEntry {
	id: string;
	name: string;
	engine: EngineKind;
	description: string;
	license: string;
	/** Bytes to download (0 when bundled with the app). */
	sizeBytes: number;
	/** Memory the loaded model needs, in bytes (weights + KV cache + work buffers, estimated). */
	memoryBytes: number;
	/** Ships with the app: no download, works offline out of the box. */
	bundled: boolean;
	/** Context length the engine is set up for. */
	maxSeq: number;
	requires: ModelRequirements;
	/** oasis/transformers: URL prefix of the model folder (ends with '/'). */
	url?: string;
	/** Files to fetch and verify (oasis/transformers); WebLLM fetches its own. */
	files?: ModelFile[];
	/** Transformers.js options. */
	transformers?: { dtype: 'fp32' | 'fp16' | 'q8' | 'q4' | 'q4f16'; device: 'webgpu' | 'wasm' };
	/** WebLLM's id of the prebuilt model. */
	webllm?: { modelId: string };
	/**
	 * oasis: a PEFT LoRA adapter (a training job's version), merged into `baseModel` at load; `files` are the adapter's (adapters.ts).
	 * `sequenceTokens`: the job's sequence length (a reward model scores with that window).
	 */
	adapter?: { baseModel: string; jobId: string; jobName: string; version: number; objective?: 'sft' | 'dpo' | 'reward'; sequenceTokens?: number };
	/** oasis: the GGUF file among `files` to open (a model from this device: local-models.ts); absent for a Hugging Face folder. */
	gguf?: string;
}

export const CATALOGUE: ModelEntry[] = [
	{
		id: 'oasis-tiny',
		name: 'Oasis tiny (bundled)',
		engine: 'oasis',
		description: 'Trained by Oasis’s own trainer on Open Assistant conversations. Tiny (0.9 M parameters): English-looking, assistant-style text, not correct answers.',
		license: 'Apache-2.0',
		sizeBytes: 0,
		memoryBytes: 24 << 20,
		bundled: true,
		maxSeq: 2048,
		requires: { webgpu: true, shaderF16: false },
		url: '/models/oasis-tiny/'
	},
	// The same tiny model as ONNX through Transformers.js (kernels/models/onnx/make-tiny-onnx.ts).
	{
		id: 'oasis-tiny-onnx',
		name: 'Oasis tiny ONNX, WebGPU (bundled)',
		engine: 'transformers',
		description: 'The bundled tiny model run by Transformers.js on the GPU (4-bit weights).',
		license: 'Apache-2.0',
		sizeBytes: 0,
		memoryBytes: 16 << 20,
		bundled: true,
		maxSeq: 2048,
		requires: { webgpu: true, shaderF16: false },
		url: '/models/oasis-tiny-onnx/',
		files: [
			{ path: 'config.json', size: 483, sha256: '0603c1c96eed4067d0d3efa6a1166546483e6dfd1e76114de60b15569b402a18' },
			{ path: 'generation_config.json', size: 44, sha256: '720858ddb18cc6e5fccab11219d725fa128fe9707bfdc42ad82c488e11e35fa5' },
			{ path: 'tokenizer.json', size: 18002, sha256: '9879ddecf3b471b7caf243964fc0f5d3f757f452283b78c4346e35a69bdc5409' },
			{ path: 'tokenizer_config.json', size: 653, sha256: '2559a2551873b611a61d55bf641ff1e1deca6c1fbf7c709c7075dd99c4945dc3' },
			{ path: 'onnx/model_q4.onnx', size: 1131350, sha256: '057910004caaa2f255316f935b34a2c19c48a91dfffd9160fb38f147249fa9ca' }
		],
		transformers: { dtype: 'q4', device: 'webgpu' }
	},
	{
		id: 'oasis-tiny-onnx-wasm',
		name: 'Oasis tiny ONNX, WASM/CPU (bundled)',
		engine: 'transformers',
		description: 'The bundled tiny model run by Transformers.js on the CPU (WebAssembly, f32): works without WebGPU.',
		license: 'Apache-2.0',
		sizeBytes: 0,
		memoryBytes: 32 << 20,
		bundled: true,
		maxSeq: 2048,
		requires: { webgpu: false, shaderF16: false },
		url: '/models/oasis-tiny-onnx/',
		files: [
			{ path: 'config.json', size: 483, sha256: '0603c1c96eed4067d0d3efa6a1166546483e6dfd1e76114de60b15569b402a18' },
			{ path: 'generation_config.json', size: 44, sha256: '720858ddb18cc6e5fccab11219d725fa128fe9707bfdc42ad82c488e11e35fa5' },
			{ path: 'tokenizer.json', size: 18002, sha256: '9879ddecf3b471b7caf243964fc0f5d3f757f452283b78c4346e35a69bdc5409' },
			{ path: 'tokenizer_config.json', size: 653, sha256: '2559a2551873b611a61d55bf641ff1e1deca6c1fbf7c709c7075dd99c4945dc3' },
			{ path: 'onnx/model.onnx', size: 3698069, sha256: '702124088a7113d818c5e83b5c572fb2ef71d0eeb4f48d041ab3f4fee58dd625' }
		],
		transformers: { dtype: 'fp32', device: 'wasm' }
	},
	// Small chat models from web-llm's prebuilt list (a snapshot: see webllm/catalogue.ts).
	...WEBLLM_RECORDS.map(webllmEntry)
];

export const DEFAULT_MODEL = 'oasis-tiny';

/** The catalogue entry with this id, if any (test entries included: see {@link testCatalogue}). */
export function findModel(id: string): ModelEntry | undefined {
	return CATALOGUE.find((m) => m.id === id) ?? testCatalogue().find((m) => m.id === id);
}

/** A catalogue entry as data (zod), for entries that come from outside the code. */
export const modelEntrySchema = z.object({
	id: z.string().regex(/^[\w.-]{1,100}$/, 'letters, digits, . _ - only'),
	name: z.string().min(1).max(200),
	engine: z.enum(['oasis', 'transformers', 'webllm']),
	description: z.string().max(2000),
	license: z.string().max(200),
	sizeBytes: z.number().int().nonnegative(),
	memoryBytes: z.number().int().nonnegative(),
	bundled: z.boolean(),
	maxSeq: z.number().int().positive(),
	requires: z.object({ webgpu: z.boolean(), shaderF16: z.boolean(), maxBufferBytes: z.number().int().positive().optional() }),
	url: z.string().optional(),
	files: z.array(z.object({ path: z.string().min(1), size: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) })).optional(),
	transformers: z.object({ dtype: z.enum(['fp32', 'fp16', 'q8', 'q4', 'q4f16']), device: z.enum(['webgpu', 'wasm']) }).optional(),
	webllm: z.object({ modelId: z.string() }).optional(),
	adapter: z.object({ baseModel: z.string(), jobId: z.string(), jobName: z.string(), version: z.number().int().nonnegative(), objective: z.enum(['sft', 'dpo', 'reward']).optional(), sequenceTokens: z.number().int().min(8).optional() }).optional(),
	gguf: z.string().min(1).optional()
}) satisfies z.ZodType<ModelEntry>;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Entries a test declares on the page as `window.__oasisTestCatalogue` (Playwright's
 * addInitScript), honoured only on a loopback origin and only when every entry is valid; empty
 * everywhere else. The e2e test points one at a model server it runs itself.
 */
export function testCatalogue(scope: { location?: { hostname: string }; __oasisTestCatalogue?: unknown } = globalThis as never): ModelEntry[] {
	if (scope.__oasisTestCatalogue === undefined || !LOOPBACK.has(scope.location?.hostname ?? '')) return [];
	const r = z.array(modelEntrySchema).safeParse(scope.__oasisTestCatalogue);
	if (!r.success) {
		console.warn('window.__oasisTestCatalogue ignored:', r.error.message);
		return [];
	}
	return r.data.filter((e) => !CATALOGUE.some((c) => c.id === e.id));
}

/** The catalogue with any test entries after it. */
export function fullCatalogue(): ModelEntry[] {
	return [...CATALOGUE, ...testCatalogue()];
}
