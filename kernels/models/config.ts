/**
 * Model configuration: Hugging Face `config.json` (Llama 2/3, SmolLM2, Mistral, Qwen2, Qwen3) parsed with
 * zod into one normalized {@link ModelConfig} that the GPU decoder and the float64 reference
 * both read. GGUF metadata is mapped onto the same shape in gguf.ts.
 */
import { z } from 'zod';
import { ropeInvFreq, type RopeLayout } from '../ops/rope/rope.ref.js';
import { ModelError } from './errors.js';

/** Rope scaling variants we implement (HF `rope_scaling`, GGUF `rope.scaling.*` / `rope_freqs`). */
export type RopeScaling =
	| { type: 'linear'; factor: number }
	| {
			type: 'llama3';
			factor: number;
			lowFreqFactor: number;
			highFreqFactor: number;
			originalMaxPositions: number;
	  }
	| {
			/** YaRN: frequencies blended between interpolated and original by a ramp; cos/sin scaled. */
			type: 'yarn';
			factor: number;
			originalMaxPositions: number;
			betaFast: number;
			betaSlow: number;
			/** Multiplies cos and sin (HF `attention_factor`). */
			attentionFactor: number;
			/** Round the ramp's ends to whole dimensions (HF `truncate`, default true). */
			truncate: boolean;
	  }
	| {
			/**
			 * Dynamic NTK: the base grows only for sequences longer than max_position_embeddings.
			 * Our context never exceeds it (the KV cache is capped there), so this is the default RoPE.
			 */
			type: 'dynamic';
			factor: number;
	  }
	| {
			/** Per-frequency divisors (GGUF `rope_freqs.weight`, written for Llama 3.1+ scaling): f_i / d_i. */
			type: 'factors';
			factors: number[];
	  };

/** The decoder's view of a model, whatever file it came from. */
export interface ModelConfig {
	/** Which family: selects q/k/v biases and per-head q/k norms. */
	architecture: 'llama' | 'qwen2' | 'qwen3';
	vocabSize: number;
	hiddenSize: number;
	intermediateSize: number;
	numLayers: number;
	numHeads: number;
	numKvHeads: number;
	headDim: number;
	/** Leading features of each head that RoPE rotates (even, <= headDim). */
	rotaryDim: number;
	/** 'half' for HF checkpoints; 'pairs' for GGUF llama (whose Q/K rows are permuted). */
	ropeLayout: RopeLayout;
	ropeTheta: number;
	ropeScaling: RopeScaling | null;
	rmsNormEps: number;
	maxPositions: number;
	tieEmbeddings: boolean;
	/** Biases on q/k/v projections (Qwen2, or Llama/Qwen3 with attention_bias). */
	qkvBias: boolean;
	/** Bias on the output projection (Llama/Qwen3 attention_bias). */
	oBias: boolean;
	/** Per-head RMSNorm of q and k before RoPE (Qwen3). */
	qkNorm: boolean;
	bosTokenId: number | null;
	eosTokenIds: number[];
}

const tokenIds = z.union([z.number().int(), z.array(z.number().int())]).nullish();

const ropeScalingObject = z
	.object({
		type: z.string().optional(),
		rope_type: z.string().optional(),
		factor: z.number().positive().optional(),
		low_freq_factor: z.number().optional(),
		high_freq_factor: z.number().optional(),
		original_max_position_embeddings: z.number().int().optional(),
		attention_factor: z.number().positive().nullish(),
		beta_fast: z.number().positive().nullish(),
		beta_slow: z.number().positive().nullish(),
		mscale: z.number().nullish(),
		mscale_all_dim: z.number().nullish(),
		truncate: z.boolean().nullish()
	})
	.passthrough();
const ropeScalingSchema = ropeScalingObject.nullish();

/** The fields of config.json we read (others are ignored). */
const hfConfigSchema = z
	.object({
		model_type: z.string(),
		vocab_size: z.number().int().positive(),
		hidden_size: z.number().int().positive(),
		intermediate_size: z.number().int().positive(),
		num_hidden_layers: z.number().int().positive(),
		num_attention_heads: z.number().int().positive(),
		num_key_value_heads: z.number().int().positive().nullish(),
		head_dim: z.number().int().positive().nullish(),
		rms_norm_eps: z.number().positive().default(1e-6),
		rope_theta: z.number().positive().nullish(),
		rope_scaling: ropeScalingSchema,
		// transformers 5 writes theta and scaling together here (rope_scaling is its old name).
		rope_parameters: ropeScalingObject.extend({ rope_theta: z.number().positive().optional() }).nullish(),
		partial_rotary_factor: z.number().positive().max(1).nullish(),
		max_position_embeddings: z.number().int().positive().default(2048),
		tie_word_embeddings: z.boolean().default(false),
		attention_bias: z.boolean().nullish(),
		mlp_bias: z.boolean().nullish(),
		use_sliding_window: z.boolean().nullish(),
		layer_types: z.array(z.string()).nullish(),
		sliding_window: z.number().int().positive().nullish(),
		hidden_act: z.string().default('silu'),
		bos_token_id: tokenIds,
		eos_token_id: tokenIds
	})
	.passthrough();

/** Mistral is a Llama decoder (its sliding window handled below). */
const SUPPORTED = ['llama', 'mistral', 'qwen2', 'qwen3'] as const;

function ids(v: number | number[] | null | undefined): number[] {
	if (v === null || v === undefined) return [];
	return Array.isArray(v) ? v : [v];
}

/** YaRN's attention factor from its scale (transformers' `get_mscale`; llama.cpp's mscale alike). */
export function yarnMscale(scale: number, mscale = 1): number {
	return scale <= 1 ? 1 : 0.1 * mscale * Math.log(scale) + 1;
}

/**
 * Reads rope_scaling; unknown types are an error naming the field. `maxPositions` is the
 * config's max_position_embeddings (YaRN derives its factor from it when the original is given).
 */
export function parseRopeScaling(raw: z.infer<typeof ropeScalingSchema>, file: string, maxPositions = 2048): RopeScaling | null {
	if (!raw) return null;
	const type = raw.rope_type ?? raw.type ?? 'default';
	if (type === 'default') return null;
	const factor = raw.factor;
	if (factor === undefined) throw new ModelError('bad-config', `${file}: rope_scaling.factor is required for type '${type}'`);
	if (type === 'linear') return { type: 'linear', factor };
	if (type === 'dynamic') return { type: 'dynamic', factor };
	if (type === 'yarn') {
		// As transformers computes it: with original_max_position_embeddings given, the factor is
		// max_position_embeddings / original (DeepSeek-V3, Qwen3's long-context recipe).
		const orig = raw.original_max_position_embeddings;
		const f = orig !== undefined ? maxPositions / orig : factor;
		const attentionFactor =
			raw.attention_factor ?? (raw.mscale && raw.mscale_all_dim ? yarnMscale(f, raw.mscale) / yarnMscale(f, raw.mscale_all_dim) : yarnMscale(f));
		return {
			type: 'yarn',
			factor: f,
			originalMaxPositions: orig ?? maxPositions,
			betaFast: raw.beta_fast ?? 32,
			betaSlow: raw.beta_slow ?? 1,
			attentionFactor,
			truncate: raw.truncate ?? true
		};
	}
	if (type === 'llama3') {
		const { low_freq_factor: lo, high_freq_factor: hi, original_max_position_embeddings: orig } = raw;
		if (lo === undefined || hi === undefined || orig === undefined) {
			throw new ModelError(
				'bad-config',
				`${file}: rope_scaling of type 'llama3' needs low_freq_factor, high_freq_factor and original_max_position_embeddings`
			);
		}
		return { type: 'llama3', factor, lowFreqFactor: lo, highFreqFactor: hi, originalMaxPositions: orig };
	}
	throw new ModelError(
		'unsupported',
		`${file}: rope_scaling type '${type}' is not supported (supported: default, linear, dynamic, llama3, yarn)`
	);
}

/** Parses a Hugging Face config.json object (plus generation_config.json's eos ids, if any). */
export function parseHfConfig(json: unknown, generationConfig?: unknown, file = 'config.json'): ModelConfig {
	const mt = (json as { model_type?: unknown } | null)?.model_type;
	if (typeof mt === 'string' && !(SUPPORTED as readonly string[]).includes(mt)) {
		throw new ModelError(
			'unsupported',
			`${file}: model_type '${mt}' is not supported (supported: ${SUPPORTED.join(', ')}; SmolLM2 is 'llama')`
		);
	}
	const parsed = hfConfigSchema.safeParse(json);
	if (!parsed.success) {
		const issue = parsed.error.issues[0];
		throw new ModelError('bad-config', `${file}: field '${issue.path.join('.')}': ${issue.message}`);
	}
	const c = parsed.data;
	const arch = (c.model_type === 'mistral' ? 'llama' : c.model_type) as ModelConfig['architecture'];
	if (c.hidden_act !== 'silu') {
		throw new ModelError('unsupported', `${file}: hidden_act '${c.hidden_act}' is not supported (only 'silu')`);
	}
	if (c.mlp_bias) throw new ModelError('unsupported', `${file}: mlp_bias true is not supported`);
	const other = c.layer_types?.findIndex((t) => t !== 'full_attention' && t !== 'sliding_attention') ?? -1;
	if (other >= 0) {
		throw new ModelError('unsupported', `${file}: layer_types[${other}] is '${c.layer_types![other]}'; only 'full_attention' and 'sliding_attention' layers are supported`);
	}
	// Sliding-window attention (Mistral's sliding_window, Qwen's use_sliding_window, transformers 5's
	// 'sliding_attention' layers) sees the last `sliding_window` tokens; a context no longer than the
	// window sees them all, so capping the context there makes full attention exact.
	const windowed =
		(c.model_type === 'mistral' && c.sliding_window != null) || c.use_sliding_window === true || (c.layer_types?.includes('sliding_attention') ?? false);
	if (windowed && c.sliding_window == null) {
		throw new ModelError('bad-config', `${file}: sliding-window attention is on but sliding_window is not set`);
	}
	const maxPositions = windowed ? Math.min(c.max_position_embeddings, c.sliding_window!) : c.max_position_embeddings;
	const numKvHeads = c.num_key_value_heads ?? c.num_attention_heads;
	if (c.num_attention_heads % numKvHeads !== 0) {
		throw new ModelError(
			'bad-config',
			`${file}: num_attention_heads (${c.num_attention_heads}) must be a multiple of num_key_value_heads (${numKvHeads})`
		);
	}
	const headDim = c.head_dim ?? c.hidden_size / c.num_attention_heads;
	if (!Number.isInteger(headDim)) {
		throw new ModelError('bad-config', `${file}: hidden_size ${c.hidden_size} is not divisible by num_attention_heads; set head_dim`);
	}
	let rotaryDim = Math.floor(headDim * (c.partial_rotary_factor ?? 1));
	rotaryDim -= rotaryDim % 2;
	const gen = (generationConfig ?? {}) as { eos_token_id?: number | number[]; bos_token_id?: number };
	const eos = [...new Set([...ids(c.eos_token_id), ...ids(gen.eos_token_id)])];
	const bos = ids(c.bos_token_id)[0] ?? gen.bos_token_id ?? null;
	const attnBias = c.attention_bias ?? false;
	return {
		architecture: arch,
		vocabSize: c.vocab_size,
		hiddenSize: c.hidden_size,
		intermediateSize: c.intermediate_size,
		numLayers: c.num_hidden_layers,
		numHeads: c.num_attention_heads,
		numKvHeads,
		headDim,
		rotaryDim,
		ropeLayout: 'half',
		ropeTheta: c.rope_parameters?.rope_theta ?? c.rope_theta ?? 10000,
		ropeScaling: parseRopeScaling(c.rope_parameters ?? c.rope_scaling, file, c.max_position_embeddings),
		rmsNormEps: c.rms_norm_eps,
		maxPositions,
		tieEmbeddings: c.tie_word_embeddings,
		qkvBias: arch === 'qwen2' || attnBias,
		oBias: arch !== 'qwen2' && attnBias,
		qkNorm: arch === 'qwen3',
		bosTokenId: bos,
		eosTokenIds: eos
	};
}

/** RoPE inverse frequencies after rope scaling (HF `_compute_*_parameters`), in float64. */
export function ropeFrequencies(c: ModelConfig): Float64Array {
	const inv = ropeInvFreq(c.rotaryDim, c.ropeTheta);
	const s = c.ropeScaling;
	if (!s || s.type === 'dynamic') return inv;
	if (s.type === 'linear') return inv.map((f) => f / s.factor);
	if (s.type === 'factors') return inv.map((f, i) => f / s.factors[i]);
	if (s.type === 'yarn') return yarnFrequencies(inv, c.rotaryDim, c.ropeTheta, s);
	const lowWavelen = s.originalMaxPositions / s.lowFreqFactor;
	const highWavelen = s.originalMaxPositions / s.highFreqFactor;
	return inv.map((f) => {
		const wavelen = (2 * Math.PI) / f;
		if (wavelen < highWavelen) return f;
		if (wavelen > lowWavelen) return f / s.factor;
		const smooth = (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
		return (1 - smooth) * (f / s.factor) + smooth * f;
	});
}

/**
 * YaRN (arXiv 2309.00071, as transformers' `_compute_yarn_parameters`): frequencies that turn
 * fewer than beta_slow times over the original context are interpolated (f / factor), those
 * turning more than beta_fast times are kept, and a linear ramp over the dimension index blends
 * between them.
 */
function yarnFrequencies(inv: Float64Array, dim: number, base: number, s: Extract<RopeScaling, { type: 'yarn' }>): Float64Array {
	const correctionDim = (rotations: number) => (dim * Math.log(s.originalMaxPositions / (rotations * 2 * Math.PI))) / (2 * Math.log(base));
	let low = correctionDim(s.betaFast);
	let high = correctionDim(s.betaSlow);
	if (s.truncate) {
		low = Math.floor(low);
		high = Math.ceil(high);
	}
	low = Math.max(low, 0);
	high = Math.min(high, dim - 1);
	if (low === high) high += 0.001;
	return inv.map((f, i) => {
		const ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
		return (f / s.factor) * ramp + f * (1 - ramp);
	});
}

/** The factor RoPE's cos and sin are multiplied by: YaRN's attention factor, 1 otherwise. */
export function ropeAttentionScale(c: ModelConfig): number {
	return c.ropeScaling?.type === 'yarn' ? c.ropeScaling.attentionFactor : 1;
}
