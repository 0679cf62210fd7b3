/**
 * GGUF reader (v2/v3): header, metadata key/values, tensor infos and alignment, mapped onto our
 * config and canonical tensor names. Tensor data is read lazily by range like safetensors.
 *
 * GGUF dims are innermost-first (ne[0] = columns); shapes here are row-major [rows, cols].
 * GGUF `llama` checkpoints store Q/K rows permuted for the adjacent-pairs RoPE, so those models
 * run with the 'pairs' layout (no un-permuting); `qwen2`/`qwen3` use NeoX order ('half').
 */
import { yarnMscale, type ModelConfig, type RopeScaling } from './config.js';
import { ModelError } from './errors.js';
import type { ModelFiles } from './model-files.js';
import type { ModelSource } from './source.js';
import { blockElements, readF32, storedBytes, type StoredDType, type TensorIndex } from './tensors.js';
import { ggufTokenizerJson } from './gguf-tokenizer.js';
import { ModelTokenizer } from './tokenizer.js';

export type GgufValue = number | bigint | boolean | string | GgufValue[];

/** ggml tensor type ids → our stored dtypes (others are reported as unsupported). */
export const GGML_TYPES: Record<number, StoredDType> = {
	0: 'f32',
	1: 'f16',
	2: 'q4_0',
	3: 'q4_1',
	6: 'q5_0',
	7: 'q5_1',
	8: 'q8_0',
	10: 'q2_k',
	11: 'q3_k',
	12: 'q4_k',
	13: 'q5_k',
	14: 'q6_k',
	20: 'iq4_nl',
	23: 'iq4_xs',
	30: 'bf16'
};
/** Names of the ggml types we refuse, for the error message. */
const GGML_NAMES: Record<number, string> = {
	9: 'Q8_1',
	15: 'Q8_K',
	16: 'IQ2_XXS',
	17: 'IQ2_XS',
	18: 'IQ3_XXS',
	19: 'IQ1_S',
	21: 'IQ3_S',
	22: 'IQ2_S',
	24: 'I8',
	25: 'I16',
	26: 'I32',
	27: 'I64',
	28: 'F64',
	29: 'IQ1_M',
	34: 'TQ1_0',
	35: 'TQ2_0',
	39: 'MXFP4'
};
const SUPPORTED = 'F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS';

export interface GgufTensorInfo {
	name: string;
	/** ne[], innermost first. */
	dims: number[];
	type: number;
	/** Relative to the data section. */
	offset: number;
}

export interface GgufHeader {
	version: number;
	metadata: Map<string, GgufValue>;
	tensors: GgufTensorInfo[];
	dataStart: number;
}

class NeedMore extends Error {}

/** Parses a GGUF header from the first bytes of a file (throws NeedMore if they are too few). */
function parseHeader(bytes: Uint8Array, file: string): GgufHeader {
	const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	let p = 0;
	const need = (n: number) => {
		if (p + n > bytes.byteLength) throw new NeedMore();
	};
	const u32 = () => (need(4), (p += 4), dv.getUint32(p - 4, true));
	const u64 = () => {
		need(8);
		p += 8;
		const v = dv.getBigUint64(p - 8, true);
		if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ModelError('bad-format', `${file}: a 64-bit count or size is out of range`);
		return Number(v);
	};
	const str = () => {
		const n = u64();
		need(n);
		p += n;
		return new TextDecoder().decode(bytes.subarray(p - n, p));
	};
	const value = (type: number): GgufValue => {
		switch (type) {
			case 0: return (need(1), (p += 1), dv.getUint8(p - 1));
			case 1: return (need(1), (p += 1), dv.getInt8(p - 1));
			case 2: return (need(2), (p += 2), dv.getUint16(p - 2, true));
			case 3: return (need(2), (p += 2), dv.getInt16(p - 2, true));
			case 4: return u32();
			case 5: return (need(4), (p += 4), dv.getInt32(p - 4, true));
			case 6: return (need(4), (p += 4), dv.getFloat32(p - 4, true));
			case 7: return (need(1), (p += 1), dv.getUint8(p - 1) !== 0);
			case 8: return str();
			case 9: {
				const t = u32();
				const n = u64();
				const out: GgufValue[] = new Array(n);
				for (let i = 0; i < n; i++) out[i] = value(t);
				return out;
			}
			case 10: return (need(8), (p += 8), dv.getBigUint64(p - 8, true));
			case 11: return (need(8), (p += 8), dv.getBigInt64(p - 8, true));
			case 12: return (need(8), (p += 8), dv.getFloat64(p - 8, true));
			default:
				throw new ModelError('bad-format', `${file}: unknown GGUF metadata value type ${type}`);
		}
	};
	if (u32() !== 0x46554747) throw new ModelError('bad-format', `${file}: not a GGUF file (bad magic)`);
	const version = u32();
	if (version !== 2 && version !== 3) throw new ModelError('unsupported', `${file}: GGUF version ${version} is not supported (2 or 3)`);
	const nTensors = u64();
	const nKv = u64();
	const metadata = new Map<string, GgufValue>();
	for (let i = 0; i < nKv; i++) {
		const key = str();
		metadata.set(key, value(u32()));
	}
	const tensors: GgufTensorInfo[] = [];
	for (let i = 0; i < nTensors; i++) {
		const name = str();
		const nd = u32();
		const dims = Array.from({ length: nd }, () => u64());
		tensors.push({ name, dims, type: u32(), offset: u64() });
	}
	const align = Number(metadata.get('general.alignment') ?? 32);
	return { version, metadata, tensors, dataStart: Math.ceil(p / align) * align };
}

/** Reads the header, fetching more of the file until it parses. */
export async function readGgufHeader(src: ModelSource, file: string): Promise<GgufHeader> {
	const size = await src.size(file);
	let n = Math.min(size, 1 << 20);
	for (;;) {
		try {
			return parseHeader(await src.readRange(file, 0, n), file);
		} catch (e) {
			if (!(e instanceof NeedMore)) throw e;
			if (n >= size) throw new ModelError('truncated', `${file}: the GGUF header runs past the end of the file (${size} bytes)`);
			n = Math.min(size, n * 4);
		}
	}
}

/** GGUF's Llama 3.1+ rope scaling: per-frequency divisors of the inverse frequencies. */
const ROPE_FREQS = 'rope_freqs.weight';

/** GGUF tensor name → canonical HF name. */
export function canonicalName(gguf: string): string | null {
	const top: Record<string, string> = {
		'token_embd.weight': 'model.embed_tokens.weight',
		'output_norm.weight': 'model.norm.weight',
		'output.weight': 'lm_head.weight'
	};
	if (top[gguf]) return top[gguf];
	const m = /^blk\.(\d+)\.(\w+)\.(weight|bias)$/.exec(gguf);
	if (!m) return null;
	const parts: Record<string, string> = {
		attn_norm: 'input_layernorm',
		ffn_norm: 'post_attention_layernorm',
		attn_q: 'self_attn.q_proj',
		attn_k: 'self_attn.k_proj',
		attn_v: 'self_attn.v_proj',
		attn_output: 'self_attn.o_proj',
		attn_q_norm: 'self_attn.q_norm',
		attn_k_norm: 'self_attn.k_norm',
		ffn_gate: 'mlp.gate_proj',
		ffn_up: 'mlp.up_proj',
		ffn_down: 'mlp.down_proj'
	};
	const part = parts[m[2]];
	return part ? `model.layers.${m[1]}.${part}.${m[3]}` : null;
}

function num(md: Map<string, GgufValue>, key: string, file: string, fallback?: number): number {
	const v = md.get(key);
	if (v === undefined) {
		if (fallback !== undefined) return fallback;
		throw new ModelError('bad-config', `${file}: GGUF metadata ${key} is missing`);
	}
	return Number(v);
}

/** Maps GGUF metadata onto {@link ModelConfig}. */
export function ggufConfig(h: GgufHeader, file: string, index: TensorIndex): ModelConfig {
	const md = h.metadata;
	const arch = String(md.get('general.architecture') ?? '');
	if (arch !== 'llama' && arch !== 'qwen2' && arch !== 'qwen3') {
		throw new ModelError('unsupported', `${file}: general.architecture '${arch}' is not supported (llama, qwen2, qwen3)`);
	}
	const k = (s: string) => `${arch}.${s}`;
	const hidden = num(md, k('embedding_length'), file);
	const heads = num(md, k('attention.head_count'), file);
	const headDim = num(md, k('attention.key_length'), file, hidden / heads);
	const tokens = md.get('tokenizer.ggml.tokens');
	const embed = index.tensors.get('model.embed_tokens.weight');
	const vocab = Array.isArray(tokens) ? tokens.length : num(md, k('vocab_size'), file, embed?.shape[0] ?? 0);
	const maxPositions = num(md, k('context_length'), file, 2048);
	let scaling: RopeScaling | null = null;
	const st = md.get(k('rope.scaling.type'));
	if (st === 'linear') scaling = { type: 'linear', factor: num(md, k('rope.scaling.factor'), file) };
	else if (st === 'yarn') {
		// llama.cpp's YaRN: mscale = attn_factor · (1 + 0.1 ln factor), ramp ends floored/ceiled.
		const factor = num(md, k('rope.scaling.factor'), file);
		scaling = {
			type: 'yarn',
			factor,
			originalMaxPositions: num(md, k('rope.scaling.original_context_length'), file, maxPositions),
			betaFast: num(md, k('rope.scaling.yarn_beta_fast'), file, 32),
			betaSlow: num(md, k('rope.scaling.yarn_beta_slow'), file, 1),
			attentionFactor: num(md, k('rope.scaling.attn_factor'), file, 1) * yarnMscale(factor),
			truncate: true
		};
	} else if (st !== undefined && st !== 'none') {
		throw new ModelError('unsupported', `${file}: ${k('rope.scaling.type')} '${String(st)}' is not supported (none, linear, yarn)`);
	}
	// Llama 3.1+ scaling arrives as a tensor of per-frequency divisors; openGguf reads it.
	const freqs = index.tensors.get(ROPE_FREQS);
	if (freqs && (freqs.shape.length !== 1 || freqs.shape[0] !== num(md, k('rope.dimension_count'), file, headDim) / 2)) {
		throw new ModelError('bad-shape', `${file}: tensor ${ROPE_FREQS} has shape [${freqs.shape}], expected [rope.dimension_count / 2]`);
	}
	const eos = ['tokenizer.ggml.eos_token_id', 'tokenizer.ggml.eot_token_id', 'tokenizer.ggml.eom_token_id']
		.map((key) => md.get(key))
		.filter((v) => v !== undefined)
		.map(Number);
	const bos = md.get('tokenizer.ggml.bos_token_id');
	return {
		architecture: arch,
		vocabSize: vocab,
		hiddenSize: hidden,
		intermediateSize: num(md, k('feed_forward_length'), file),
		numLayers: num(md, k('block_count'), file),
		numHeads: heads,
		numKvHeads: num(md, k('attention.head_count_kv'), file, heads),
		headDim,
		rotaryDim: num(md, k('rope.dimension_count'), file, headDim),
		ropeLayout: arch === 'llama' ? 'pairs' : 'half',
		ropeTheta: num(md, k('rope.freq_base'), file, 10000),
		ropeScaling: scaling,
		rmsNormEps: num(md, k('attention.layer_norm_rms_epsilon'), file, 1e-5),
		maxPositions,
		tieEmbeddings: !index.tensors.has('lm_head.weight'),
		qkvBias: arch === 'qwen2' || index.tensors.has('model.layers.0.self_attn.q_proj.bias'),
		oBias: index.tensors.has('model.layers.0.self_attn.o_proj.bias'),
		qkNorm: arch === 'qwen3',
		bosTokenId: bos === undefined ? null : Number(bos),
		eosTokenIds: [...new Set(eos)]
	};
}

/**
 * Every part's name, first to last, when `file` is named as llama.cpp's gguf-split names the parts
 * of a split model (`<prefix>-00001-of-00003.gguf`); null otherwise.
 */
export function ggufSplitNames(file: string): string[] | null {
	const m = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/.exec(file);
	return m && Number(m[3]) > 0 ? Array.from({ length: Number(m[3]) }, (_, i) => `${m[1]}-${String(i + 1).padStart(5, '0')}-of-${m[3]}.gguf`) : null;
}

/**
 * The files of a model split by llama.cpp's gguf-split (`split.count` > 1), first to last, with
 * the first one's header (which holds the metadata). `file` may be any of them.
 */
async function splitFiles(source: ModelSource, file: string, h: GgufHeader): Promise<{ files: string[]; first: GgufHeader }> {
	const count = Number(h.metadata.get('split.count') ?? 1);
	if (count <= 1) return { files: [file], first: h };
	const files = ggufSplitNames(file);
	if (!files || files.length !== count) {
		throw new ModelError('bad-format', `${file}: one of ${count} split files, but not named <name>-0000k-of-${String(count).padStart(5, '0')}.gguf as llama.cpp's gguf-split names them`);
	}
	for (const [i, f] of files.entries()) {
		if (!(await source.has(f))) throw new ModelError('missing-file', `${source.label}: ${f} is missing (split ${i + 1} of ${count} of ${files[0]})`);
	}
	return { files, first: Number(h.metadata.get('split.no') ?? 0) === 0 ? h : await readGgufHeader(source, files[0]) };
}

/** Adds the tensors of one GGUF file (header `h`) to `index`. */
async function indexGgufTensors(source: ModelSource, file: string, h: GgufHeader, index: TensorIndex): Promise<void> {
	const size = await source.size(file);
	for (const t of h.tensors) {
		const name = canonicalName(t.name) ?? t.name;
		const shape = [...t.dims].reverse();
		const dtype = GGML_TYPES[t.type];
		if (!dtype) {
			index.unsupported.set(name, `${file}: tensor ${t.name} has ggml type ${GGML_NAMES[t.type] ?? t.type}; supported: ${SUPPORTED}`);
			continue;
		}
		const n = shape.reduce((a, b) => a * b, 1);
		const block = blockElements(dtype);
		if (t.dims[0] % block !== 0) throw new ModelError('bad-format', `${file}: tensor ${t.name} has ${t.dims[0]} columns, not a multiple of its ${block}-element blocks`);
		const start = h.dataStart + t.offset;
		const end = start + storedBytes(dtype, n);
		if (end > size) throw new ModelError('truncated', `${file}: tensor ${t.name} ends at byte ${end} but the file has ${size} bytes (truncated download?)`);
		if (index.tensors.has(name)) throw new ModelError('bad-format', `${file}: tensor ${t.name} appears twice`);
		index.tensors.set(name, { name, fileName: t.name, file, dtype, shape, start, end });
	}
}

/**
 * Opens a .gguf file: config from metadata, tensor index, tokenizer from tokenizer.ggml.*. A
 * model split by gguf-split opens from any of its files: the metadata comes from the first, the
 * tensors from all.
 */
export async function openGguf(source: ModelSource, opened: string): Promise<ModelFiles> {
	const openedHeader = await readGgufHeader(source, opened);
	const { files, first: h } = await splitFiles(source, opened, openedHeader);
	const file = files[0];
	const headers = new Map([[opened, openedHeader], [file, h]]);
	const index: TensorIndex = { tensors: new Map(), unsupported: new Map() };
	for (const f of files) await indexGgufTensors(source, f, headers.get(f) ?? (await readGgufHeader(source, f)), index);
	const expected = h.metadata.get('split.tensors.count');
	const found = index.tensors.size + index.unsupported.size;
	if (expected !== undefined && Number(expected) !== found) {
		throw new ModelError('bad-format', `${file}: split.tensors.count says ${Number(expected)} tensors, the ${files.length} split files hold ${found}`);
	}
	const config = ggufConfig(h, file, index);
	const freqs = index.tensors.get(ROPE_FREQS);
	if (freqs) {
		if (config.ropeScaling) throw new ModelError('unsupported', `${file}: both ${ROPE_FREQS} and rope.scaling.type '${config.ropeScaling.type}' are set; expected one`);
		const factors = Array.from(await readF32(source, freqs));
		const bad = factors.findIndex((f) => !(Number.isFinite(f) && f > 0));
		if (bad >= 0) throw new ModelError('bad-format', `${file}: ${ROPE_FREQS}[${bad}] is ${factors[bad]}; expected a positive divisor`);
		config.ropeScaling = { type: 'factors', factors };
	}
	const tj = ggufTokenizerJson(h.metadata);
	let tokenizer: ModelTokenizer | null = null;
	if (tj) {
		const tmpl = h.metadata.get('tokenizer.chat_template');
		const tokens = h.metadata.get('tokenizer.ggml.tokens') as string[];
		const idText = (key: string) => {
			const id = h.metadata.get(key);
			return id === undefined ? undefined : tokens[Number(id)];
		};
		tokenizer = new ModelTokenizer(tj, {
			chat_template: typeof tmpl === 'string' ? tmpl : undefined,
			bos_token: idText('tokenizer.ggml.bos_token_id'),
			eos_token: idText('tokenizer.ggml.eos_token_id')
		});
	}
	const name = h.metadata.get('general.name');
	return { source, format: 'gguf', config, index, tokenizer, ...(typeof name === 'string' ? { name } : {}) };
}
