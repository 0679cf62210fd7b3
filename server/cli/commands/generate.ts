import { parseArgs } from 'node:util';
import type { GpuContext } from '../../../kernels/gpu/context.js';
import type { SamplingParams } from '../../../kernels/ops/sampling/sampling.ref.js';
import type { QuantMode } from '../../../kernels/models/weights.js';
import { type CliCommand, emit, info, onGpu, UsageError } from '../command.js';

const HELP = `Usage: oasis generate --model PATH (--prompt TEXT [--chat] | --ids 1,2,3) [options]

Runs a Llama-family model (Llama 2/3, SmolLM2, Mistral, Qwen2, Qwen3) on our WebGPU kernels in Node.
PATH is a Hugging Face model folder (config.json, model.safetensors or a sharded index,
tokenizer.json) or a .gguf file (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K…Q6_K,
IQ4_NL, IQ4_XS: the types llama-quantize writes into its Q2_K…Q8_0 files); a model split by
gguf-split (name-00001-of-00003.gguf …) opens from any of its files.

  --prompt TEXT             text, tokenized with the model's tokenizer (BOS as its post-processor says)
  --chat                    wrap --prompt as one user message in the model's chat template
  --ids 1,2,3               token ids, fed exactly as given (no BOS added)
  --max-tokens N            at most N new tokens (default 64); stops early at EOS
  --temperature T           0 = greedy (default 1)
  --top-k K --top-p P --min-p P --typical-p P --repetition-penalty R
                            sampling filters; none is applied unless given
  --seed S                  seed of the sampling RNG (default 0)
  --adapter DIR             merge a PEFT LoRA adapter folder (adapter_config.json and
                            adapter_model.safetensors, e.g. a training job's export) into the
                            weights as they load (before --quant q8/q4 quantizes them)
  --quant none|f16|q8|q4    none keeps the file's precision (default); q8/q4 quantize on load and
                            cache the result under $OASIS_CACHE_DIR or ~/.cache/oasis
  --json                    print {"ids","text","prefill_tok_s","decode_tok_s","adapter","dispatches"}
  --logits                  with --json: add "logits", the raw logits at the last prompt position

Example: npx oasis generate --model public/models/oasis-tiny --prompt "Hello" --temperature 0 --json`;

/** Parsed `generate` options. */
export interface GenerateCliOptions {
	model: string;
	/** A PEFT LoRA adapter folder merged at load. */
	adapter?: string;
	prompt?: string;
	chat: boolean;
	ids?: number[];
	maxTokens: number;
	sampling: SamplingParams;
	seed: number;
	quant: QuantMode;
	json: boolean;
	logits: boolean;
}

function number(v: string | undefined, name: string, check: (x: number) => boolean, what: string): number | undefined {
	if (v === undefined) return undefined;
	const x = Number(v);
	if (v.trim() === '' || !Number.isFinite(x) || !check(x)) throw new UsageError(`--${name} must be ${what}, got "${v}"`);
	return x;
}

/** Parses and checks the command line. */
export function parseGenerateArgs(args: string[]): GenerateCliOptions {
	const { values: v } = parseArgs({
		args,
		strict: true,
		options: {
			model: { type: 'string' },
			adapter: { type: 'string' },
			prompt: { type: 'string' },
			chat: { type: 'boolean', default: false },
			ids: { type: 'string' },
			'max-tokens': { type: 'string' },
			temperature: { type: 'string' },
			'top-p': { type: 'string' },
			'top-k': { type: 'string' },
			'min-p': { type: 'string' },
			'typical-p': { type: 'string' },
			'repetition-penalty': { type: 'string' },
			seed: { type: 'string' },
			quant: { type: 'string', default: 'none' },
			json: { type: 'boolean', default: false },
			logits: { type: 'boolean', default: false }
		}
	});
	if (!v.model) throw new UsageError('--model PATH is required (a model folder or a .gguf file)');
	if ((v.prompt === undefined) === (v.ids === undefined)) throw new UsageError('give exactly one of --prompt TEXT or --ids 1,2,3');
	if (v.chat && v.prompt === undefined) throw new UsageError('--chat needs --prompt');
	if (v.logits && !v.json) throw new UsageError('--logits needs --json');
	const quant = v.quant as QuantMode;
	if (!['none', 'f16', 'q8', 'q4'].includes(quant)) throw new UsageError(`--quant must be none, f16, q8 or q4, got "${v.quant}"`);
	let ids: number[] | undefined;
	if (v.ids !== undefined) {
		ids = v.ids.split(',').map((s) => {
			const x = Number(s.trim());
			if (s.trim() === '' || !Number.isInteger(x) || x < 0) throw new UsageError(`--ids must be comma-separated non-negative integers, got "${v.ids}"`);
			return x;
		});
	}
	const prob = (x: number) => x >= 0 && x <= 1;
	const sampling: SamplingParams = {
		temperature: number(v.temperature, 'temperature', (x) => x >= 0, 'a number >= 0 (0 = greedy)') ?? 1,
		topK: number(v['top-k'], 'top-k', (x) => Number.isInteger(x) && x >= 0, 'an integer >= 0'),
		topP: number(v['top-p'], 'top-p', prob, 'in [0, 1]'),
		minP: number(v['min-p'], 'min-p', prob, 'in [0, 1]'),
		typicalP: number(v['typical-p'], 'typical-p', prob, 'in [0, 1]'),
		repetitionPenalty: number(v['repetition-penalty'], 'repetition-penalty', (x) => x > 0, 'a number > 0 (1 = off)')
	};
	return {
		model: v.model,
		adapter: v.adapter,
		prompt: v.prompt,
		chat: v.chat,
		ids,
		maxTokens: number(v['max-tokens'], 'max-tokens', (x) => Number.isInteger(x) && x >= 1, 'an integer >= 1') ?? 64,
		sampling,
		seed: number(v.seed, 'seed', Number.isInteger, 'an integer') ?? 0,
		quant,
		json: v.json,
		logits: v.logits
	};
}

/** The `--json` output. */
export interface GenerateJson {
	ids: number[];
	text: string;
	prefill_tok_s: number;
	decode_tok_s: number;
	adapter: { vendor: string; architecture: string; features: string[] };
	dispatches: number;
	logits?: number[];
}

/**
 * Loads the model and generates: the whole command minus printing, shared with the tests
 * (which pass their own GPU context).
 */
export async function runGenerate(o: GenerateCliOptions, ctx: GpuContext): Promise<GenerateJson> {
	const { openModel } = await import('../../../kernels/models/model-files.js');
	const { LlamaModel } = await import('../../../kernels/models/llama.js');
	const { nodeQuantCache } = await import('../../../kernels/models/quant-cache-node.js');
	const { openModelPath, folderSource } = await import('../../../kernels/models/source-node.js');
	const { source, gguf } = await openModelPath(o.model);
	const files = await openModel(source, gguf, { adapter: o.adapter ? folderSource(o.adapter) : null });
	const tok = files.tokenizer;
	let prompt: number[];
	if (o.ids) prompt = o.ids;
	else {
		if (!tok) throw new UsageError(`${o.model} has no tokenizer we can read; use --ids`);
		prompt = o.chat ? tok.encodeChat([{ role: 'user', content: o.prompt! }]) : tok.encode(o.prompt!, true);
	}
	const maxSeq = Math.min(files.config.maxPositions, prompt.length + o.maxTokens);
	const model = await LlamaModel.load(ctx, files, { quant: o.quant, cache: o.quant === 'q8' || o.quant === 'q4' ? nodeQuantCache() : null, maxSeq });
	try {
		const r = await model.generate(prompt, { maxTokens: o.maxTokens, sampling: o.sampling, seed: o.seed, returnFirstLogits: o.logits });
		const decodeSteps = r.ids.length - 1;
		const out: GenerateJson = {
			ids: r.ids,
			text: tok ? tok.decode(r.ids) : '',
			prefill_tok_s: r.promptTokens / (r.prefillMs / 1000),
			decode_tok_s: decodeSteps > 0 ? decodeSteps / (r.decodeMs / 1000) : 0,
			adapter: { vendor: ctx.info.vendor, architecture: ctx.info.architecture, features: ctx.featureList() },
			dispatches: r.dispatches
		};
		if (r.firstLogits) out.logits = Array.from(r.firstLogits);
		return out;
	} finally {
		model.destroy();
	}
}

export const generateCommand: CliCommand = {
	name: 'generate',
	summary: 'run a Llama-family model (HF folder or .gguf) on the WebGPU kernels',
	help: HELP,
	async run(args) {
		const o = parseGenerateArgs(args);
		return onGpu('generate', async (ctx) => {
			const r = await runGenerate(o, ctx);
			if (o.json) emit(r);
			else {
				process.stdout.write(r.text + '\n');
				info(`${r.ids.length} tokens; prefill ${r.prefill_tok_s.toFixed(1)} tok/s, decode ${r.decode_tok_s.toFixed(1)} tok/s, ${r.dispatches} dispatches on ${r.adapter.vendor} ${r.adapter.architecture}`);
			}
			return 0;
		});
	}
};
