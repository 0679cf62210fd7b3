/**
 * A LoRA job's parameter version as a PEFT adapter (the Hugging Face `peft` library's folder):
 * `adapter_model.safetensors` (F32 tensors
 * `base_model.model.model.layers.{i}.self_attn.{q,k,v,o}_proj.lora_{A,B}.weight` and
 * `base_model.model.model.layers.{i}.mlp.{gate,up,down}_proj.lora_{A,B}.weight`) and
 * `adapter_config.json` (`peft_type: "LORA"`, r, lora_alpha, target_modules…), so
 * `PeftModel.from_pretrained(base, folder)` — or `npx oasis generate --adapter` and the chat —
 * apply what the volunteers trained.
 *
 * A reward job (objective `reward`) exports as a sequence-classification adapter: `task_type`
 * `SEQ_CLS`, `modules_to_save: ["score"]` and, after the LoRA tensors, the trained head
 * `base_model.model.score.weight` [1, hidden] — the name PEFT's `save_pretrained` gives the
 * `score` head of `LlamaForSequenceClassification` (num_labels 1). Its vector is the LoRA tensors
 * followed by the head's `hidden` values (the trainer's parameter order, llama-train.ts).
 *
 * A version is the flat f32 vector the manager stores (`training.<job>.v<n>.params.f32`): layer
 * by layer, for each adapted projection in the order q, k, v, o, gate, up, down, `lora_A` [r, in]
 * then `lora_B` [out, r] (worker/llama.ts). Those are PEFT's own shapes, so tensors are slices
 * of the vector, never transposed. Exports are built on request (a version is immutable: built
 * ones are kept in a small cache with their SHA-256) and served by `adapterFileResponse`, which
 * the SvelteKit route web/routes/api/training/jobs/[id]/adapter/[...file] calls (the fast API
 * handler, server/serve.ts, takes only /api/trpc, so both servers answer through that route).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ModelConfig } from '../../kernels/models/config.js';
import { writeSafetensors } from '../../kernels/models/safetensors.js';
import { DomainError, fail } from '../errors.js';
import type { TrainingObjective } from './datasets.js';
import type { JobInfo, TrainingManager } from './manager.js';
import type { TrainingMode } from './model.js';
import { llamaModelFolders } from './runtime.js';

/** The files of an adapter folder, as PEFT names them. */
export const PEFT_FILES = ['adapter_model.safetensors', 'adapter_config.json'] as const;
export type PeftFile = (typeof PEFT_FILES)[number];

/** Our LoRA targets in the trainer's fixed order, with the module names PEFT lists. */
const MODULES = [
	['q', 'self_attn.q_proj'],
	['k', 'self_attn.k_proj'],
	['v', 'self_attn.v_proj'],
	['o', 'self_attn.o_proj'],
	['gate', 'mlp.gate_proj'],
	['up', 'mlp.up_proj'],
	['down', 'mlp.down_proj']
] as const;

type LoraMode = Extract<TrainingMode, { kind: 'lora' }>;

/** The model dimensions an export needs (a `ModelConfig` has them). */
export type LoraDims = Pick<ModelConfig, 'numLayers' | 'hiddenSize' | 'numHeads' | 'numKvHeads' | 'headDim' | 'intermediateSize'>;

/** One tensor of the export: its PEFT name, shape and where it lies in the flat vector. */
export interface PeftTensor {
	name: string;
	shape: [number, number];
	offset: number;
	size: number;
}

/** [in, out] of a projection. */
function projection(c: LoraDims, t: string): [number, number] {
	const q = c.numHeads * c.headDim;
	const kv = c.numKvHeads * c.headDim;
	const D = c.hiddenSize;
	const I = c.intermediateSize;
	const shapes: Record<string, [number, number]> = { q: [D, q], k: [D, kv], v: [D, kv], o: [q, D], gate: [D, I], up: [D, I], down: [I, D] };
	return shapes[t]!;
}

/** PEFT's name of a sequence-classification adapter's head (`modules_to_save: ["score"]`). */
export const PEFT_SCORE_HEAD = 'base_model.model.score.weight';

/**
 * The tensors of a LoRA vector in the trainer's order, with their PEFT names and shapes; a reward
 * job's vector ends with the head [1, hidden] ({@link PEFT_SCORE_HEAD}).
 */
export function peftLayout(c: LoraDims, mode: LoraMode, objective: TrainingObjective = 'sft'): PeftTensor[] {
	const out: PeftTensor[] = [];
	let offset = 0;
	const r = mode.rank;
	for (let i = 0; i < c.numLayers; i++) {
		for (const [t, module] of MODULES) {
			if (!mode.targets.includes(t)) continue;
			const [k, n] = projection(c, t);
			const stem = `base_model.model.model.layers.${i}.${module}`;
			out.push({ name: `${stem}.lora_A.weight`, shape: [r, k], offset, size: r * k });
			offset += r * k;
			out.push({ name: `${stem}.lora_B.weight`, shape: [n, r], offset, size: n * r });
			offset += n * r;
		}
	}
	if (objective === 'reward') out.push({ name: PEFT_SCORE_HEAD, shape: [1, c.hiddenSize], offset, size: c.hiddenSize });
	return out;
}

/** PEFT's `target_modules` for our target names (q → q_proj…), in the trainer's order. */
export function peftTargetModules(targets: readonly string[]): string[] {
	return MODULES.filter(([t]) => targets.includes(t)).map(([, m]) => m.split('.')[1]!);
}

/**
 * `adapter_config.json` of a LoRA job (the keys `peft.LoraConfig` reads): `CAUSAL_LM` for SFT and
 * DPO, `SEQ_CLS` with the `score` head saved for a reward job.
 */
export function peftConfig(job: Pick<JobInfo, 'baseModel' | 'mode'> & { objective?: TrainingObjective }): Record<string, unknown> {
	const mode = loraMode(job);
	const reward = job.objective === 'reward';
	return {
		peft_type: 'LORA',
		task_type: reward ? 'SEQ_CLS' : 'CAUSAL_LM',
		base_model_name_or_path: job.baseModel,
		revision: null,
		r: mode.rank,
		lora_alpha: mode.alpha,
		lora_dropout: 0,
		target_modules: peftTargetModules(mode.targets),
		bias: 'none',
		fan_in_fan_out: false,
		inference_mode: true,
		init_lora_weights: true,
		modules_to_save: reward ? ['score'] : null,
		use_rslora: false,
		use_dora: false
	};
}

function loraMode(job: Pick<JobInfo, 'mode'>): LoraMode {
	if (job.mode.kind !== 'lora') fail('training_model_unsupported', 'only LoRA jobs have an adapter to export; this job trains every parameter of the model');
	return job.mode;
}

/** One file of an export, with what a downloader checks. */
export interface PeftFileInfo {
	path: PeftFile;
	size: number;
	sha256: string;
}

/** A built export of one version. */
export interface PeftExport {
	jobId: string;
	version: number;
	baseModel: string;
	files: Record<PeftFile, Uint8Array>;
	info: PeftFileInfo[];
}

/** What the export needs of the training side (the manager, and the model's dimensions). */
export interface PeftSource {
	get(jobId: string): Promise<JobInfo>;
	parameters(jobId: string, version: number): Promise<Float32Array>;
	/** The base model's dimensions, or null when the model has none (e.g. the bigram model). */
	dims(baseModel: string): Promise<LoraDims | null>;
}

const configs = new Map<string, Promise<ModelConfig>>();

/**
 * A `PeftSource` over a manager and its runtime's models: the config of an installed Llama model,
 * else of a model folder the server knows (`llamaModelFolders`: headers only, no GPU), else of the
 * model the runtime loads.
 */
export function managerPeftSource(manager: TrainingManager): PeftSource {
	return {
		get: (id) => manager.get(id),
		parameters: (id, v) => manager.parameters(id, v),
		async dims(baseModel) {
			const rt = manager.runtime;
			const configOf = (m: unknown) => (m as { files?: { config?: ModelConfig } } | null | undefined)?.files?.config ?? null;
			const installed = rt.models.get(baseModel);
			if (installed) return configOf(installed);
			const folder = rt.loadable?.().includes(baseModel) ? llamaModelFolders().get(baseModel) : undefined;
			if (folder !== undefined) {
				let c = configs.get(folder);
				if (!c) {
					c = Promise.all([import('../../kernels/models/model-files.js'), import('../../kernels/models/source-node.js')]).then(async ([mf, sn]) => (await mf.openModel(sn.folderSource(folder))).config);
					c.catch(() => configs.delete(folder));
					configs.set(folder, c);
				}
				return c;
			}
			return configOf(await rt.load?.(baseModel));
		}
	};
}

const cache = new Map<string, PeftExport>();
/** Exports kept in memory: at most this many, of at most CACHE_BYTES together (oldest dropped first). */
const CACHE_SIZE = 8;
const CACHE_BYTES = 64 * 1024 * 1024;

function exportBytes(e: PeftExport): number {
	return PEFT_FILES.reduce((n, f) => n + e.files[f].byteLength, 0);
}

/** The cache's entries and bytes (tests). */
export function peftCacheUsage(): { entries: number; bytes: number } {
	let bytes = 0;
	for (const e of cache.values()) bytes += exportBytes(e);
	return { entries: cache.size, bytes };
}

/** Forget built exports (tests). */
export function clearPeftCache(): void {
	cache.clear();
}

/**
 * Builds the PEFT export of `version` (default: the job's newest) of a LoRA job.
 * @throws DomainError training_job_not_found, training_model_unsupported (not LoRA, or a model
 *   without Llama dimensions, or a vector of another length), training_version_not_found
 */
export async function buildPeftExport(src: PeftSource, jobId: string, version?: number): Promise<PeftExport> {
	const job = await src.get(jobId);
	loraMode(job); // a full-training job has no adapter: refused before anything is read
	const v = version ?? job.version;
	if (v > job.version) fail('training_version_not_found', `job ${jobId} has versions 0 to ${job.version}, not ${v}`);
	const key = `${jobId}|${v}`;
	const hit = cache.get(key);
	if (hit) return hit;
	const dims = await src.dims(job.baseModel);
	if (!dims) fail('training_model_unsupported', `${job.baseModel} is not a Llama-family model, so its adapters have no PEFT form`);
	const files = peftFiles(dims, job, await src.parameters(jobId, v), `version ${v}`);
	const info = PEFT_FILES.map((path) => ({ path, size: files[path].byteLength, sha256: createHash('sha256').update(files[path]).digest('hex') }));
	const out: PeftExport = { jobId, version: v, baseModel: job.baseModel, files, info };
	if (exportBytes(out) <= CACHE_BYTES) {
		cache.set(key, out);
		let bytes = peftCacheUsage().bytes;
		while (cache.size > CACHE_SIZE || bytes > CACHE_BYTES) {
			const oldest = cache.keys().next().value!;
			bytes -= exportBytes(cache.get(oldest)!);
			cache.delete(oldest);
		}
	}
	return out;
}

/**
 * The two files of a LoRA job's parameter vector `params` (the trainer's order; a reward job's
 * ends with its head). `what` names the vector in errors.
 * @throws DomainError training_model_unsupported when the vector's length does not fit the layout
 */
export function peftFiles(dims: LoraDims, job: Pick<JobInfo, 'baseModel' | 'mode' | 'objective'>, params: Float32Array, what = 'the vector'): Record<PeftFile, Uint8Array> {
	const mode = loraMode(job);
	const layout = peftLayout(dims, mode, job.objective);
	const expected = layout.reduce((n, t) => n + t.size, 0);
	if (params.length !== expected) {
		const head = job.objective === 'reward' ? ` plus a reward head of ${dims.hiddenSize}` : '';
		fail('training_model_unsupported', `${what} holds ${params.length} values, but LoRA rank ${mode.rank} on ${mode.targets.join(', ')} of ${job.baseModel}${head} has ${expected} (a vector of another model or objective?)`);
	}
	const bytes = new Uint8Array(params.buffer, params.byteOffset, params.byteLength);
	const safetensors = writeSafetensors(layout.map((t) => ({ name: t.name, dtype: 'F32' as const, shape: t.shape, data: bytes.subarray(t.offset * 4, (t.offset + t.size) * 4) })));
	const config = new TextEncoder().encode(JSON.stringify(peftConfig(job), null, 2) + '\n');
	return { 'adapter_model.safetensors': safetensors, 'adapter_config.json': config };
}

/** A version a job offers as an adapter. */
export interface AdapterVersion {
	version: number;
	/** Held-out loss of the version (the round that produced it). */
	validationLoss: number | null;
	closedDate: string | null;
}

/**
 * The exportable versions of a job: every trained version (1 … newest) of a LoRA job (SFT and DPO
 * as CAUSAL_LM adapters, reward as SEQ_CLS), newest first. `reason` says why not, as a code the
 * page words: 'not_lora' (full training has no adapter; reward jobs export in the SEQ_CLS form).
 */
export async function adapterVersions(manager: TrainingManager, jobId: string): Promise<{ exportable: boolean; reason: 'not_lora' | null; versions: AdapterVersion[] }> {
	const job = await manager.get(jobId);
	if (job.mode.kind !== 'lora') return { exportable: false, reason: 'not_lora', versions: [] };
	const rounds = await manager.metrics(jobId);
	const versions: AdapterVersion[] = [];
	for (let v = job.version; v >= 1; v--) {
		const r = rounds.find((x) => x.round === v - 1);
		versions.push({ version: v, validationLoss: r?.validationLoss ?? null, closedDate: r?.closedDate ?? null });
	}
	return { exportable: true, reason: null, versions };
}

/** A finished LoRA job's newest adapter, with its files (for a device to download and check). */
export interface FinishedAdapter {
	jobId: string;
	name: string;
	baseModel: string;
	/** 'reward': a SEQ_CLS adapter with a score head (a reward model); 'sft' / 'dpo': a chat adapter. */
	objective: TrainingObjective;
	version: number;
	rank: number;
	alpha: number;
	targets: string[];
	/** The job's sequence length: the window a reward model was trained on (and should score with). */
	sequenceTokens: number;
	files: PeftFileInfo[];
}

/**
 * Finished LoRA jobs with a trained version, newest first, optionally for one base model: chat
 * adapters (objective 'sft' / 'dpo') and reward models ('reward', SEQ_CLS with a score head).
 */
export async function finishedAdapters(manager: TrainingManager, baseModel?: string, limit = 20): Promise<FinishedAdapter[]> {
	const jobs = (await manager.list()).filter((j) => j.state === 'finished' && j.mode.kind === 'lora' && j.version >= 1 && (!baseModel || j.baseModel === baseModel));
	const out: FinishedAdapter[] = [];
	const src = managerPeftSource(manager);
	for (const j of jobs.slice(0, limit)) {
		const mode = j.mode as LoraMode;
		try {
			const e = await buildPeftExport(src, j.id);
			out.push({ jobId: j.id, name: j.name, baseModel: j.baseModel, objective: j.objective, version: e.version, rank: mode.rank, alpha: mode.alpha, targets: [...mode.targets], sequenceTokens: j.hyper.sequenceTokens, files: e.info });
		} catch (error) {
			if (!(error instanceof DomainError)) throw error;
			// A job whose model is gone or whose vector is not a plain adapter: not offered.
		}
	}
	return out;
}

const fileSchema = z.enum(PEFT_FILES);
const versionSchema = z
	.string()
	.regex(/^(0|[1-9][0-9]{0,8})$/, 'a version is a whole number (0, 1, 2…)')
	.transform(Number);
const jobIdSchema = z.string().uuid();

const STATUS: Record<string, number> = { bad_request: 400, unauthorized: 401, forbidden: 403, not_found: 404, conflict: 409, precondition: 412, too_many_requests: 429 };

function problem(status: number, message: string): Response {
	return new Response(JSON.stringify({ error: message }) + '\n', { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } });
}

/**
 * The HTTP answer for `GET /api/training/jobs/{jobId}/adapter/{file}` — `file` is
 * `adapter_model.safetensors` or `adapter_config.json`, optionally under `v{n}/` — with
 * `?version=n` as another way to name a version (default: the newest). A named version is
 * immutable and cached for a year; the newest is revalidated by its ETag (the SHA-256).
 * Errors are JSON `{error}` with the status of their rule (404 unknown job or version, 400 a
 * full-training job…).
 */
export async function adapterFileResponse(manager: TrainingManager, request: { url: string; headers: Headers; method?: string }, jobIdRaw: string, path: string): Promise<Response> {
	const url = new URL(request.url, 'http://localhost');
	const m = /^(?:v([^/]+)\/)?([^/]+)$/.exec(path);
	const file = fileSchema.safeParse(m?.[2]);
	if (!m || !file.success) return problem(404, `no such adapter file "${path}"; the files are ${PEFT_FILES.join(' and ')} (optionally under v<version>/)`);
	const jobId = jobIdSchema.safeParse(jobIdRaw);
	if (!jobId.success) return problem(404, `"${jobIdRaw}" is not a training job id`);
	const versionText = m[1] ?? url.searchParams.get('version');
	let version: number | undefined;
	if (versionText !== null && versionText !== undefined) {
		const v = versionSchema.safeParse(versionText);
		if (!v.success) return problem(400, `version "${versionText}": ${v.error.issues[0]!.message}`);
		version = v.data;
	}
	let built: PeftExport;
	try {
		built = await buildPeftExport(managerPeftSource(manager), jobId.data, version);
	} catch (error) {
		if (error instanceof DomainError) return problem(STATUS[error.kind] ?? 400, error.message);
		throw error;
	}
	const body = built.files[file.data];
	const sha = built.info.find((i) => i.path === file.data)!.sha256;
	const etag = `"${sha}"`;
	const headers = new Headers({
		'content-type': file.data.endsWith('.json') ? 'application/json; charset=utf-8' : 'application/octet-stream',
		'content-length': String(body.byteLength),
		'content-disposition': `attachment; filename="${file.data}"`,
		'cache-control': version === undefined ? 'no-cache' : 'public, max-age=31536000, immutable',
		etag,
		'x-oasis-training-job': built.jobId,
		'x-oasis-adapter-version': String(built.version),
		'x-oasis-base-model': built.baseModel
	});
	if (request.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers });
	if (request.method === 'HEAD') return new Response(null, { status: 200, headers });
	return new Response(body.slice(), { status: 200, headers });
}
