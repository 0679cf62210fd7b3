import { parseArgs } from 'node:util';
import type { GpuContext } from '../../../kernels/gpu/context.js';
import type { LoadedAdapter } from '../../../kernels/models/adapter.js';
import { ModelError } from '../../../kernels/models/errors.js';
import type { ModelFiles } from '../../../kernels/models/model-files.js';
import type { QuantMode } from '../../../kernels/models/weights.js';
import { type CliCommand, emit, onGpu, UsageError } from '../command.js';

const HELP = `Usage: oasis score --model PATH --adapter DIR --prompt TEXT --reply TEXT [options]

Scores an assistant reply with a reward model on our WebGPU kernels in Node: the base model at
PATH (a Hugging Face folder or a .gguf file) with a PEFT sequence-classification adapter DIR
(adapter_config.json with task_type "SEQ_CLS" and adapter_model.safetensors holding the LoRA and
the head base_model.model.score.weight, e.g. a reward training job's export). The conversation
is rendered exactly as reward training renders it (the chat template; the last --max-tokens
tokens kept). A higher reward means a reply the model prefers.

  --prompt TEXT             the user's message
  --reply TEXT              the assistant's reply to score
  --system TEXT             a system message before the prompt (optional)
  --max-tokens N            the window the reward job trained with (default 2048)
  --quant none|f16|q8|q4    precision of the base weights (default none: the file's)
  --json                    print {"reward": x, "tokens": n}

Example: npx oasis score --model public/models/oasis-tiny --adapter ./reward-v3 --prompt "Hi" --reply "Hello! How can I help?" --json`;

/** Parsed `score` options. */
export interface ScoreCliOptions {
	model: string;
	adapter: string;
	prompt: string;
	reply: string;
	system?: string;
	maxTokens: number;
	quant: QuantMode;
	json: boolean;
}

/** Parses and checks the command line. */
export function parseScoreArgs(args: string[]): ScoreCliOptions {
	const { values: v } = parseArgs({
		args,
		strict: true,
		options: {
			model: { type: 'string' },
			adapter: { type: 'string' },
			prompt: { type: 'string' },
			reply: { type: 'string' },
			system: { type: 'string' },
			'max-tokens': { type: 'string' },
			quant: { type: 'string', default: 'none' },
			json: { type: 'boolean', default: false }
		}
	});
	if (!v.model) throw new UsageError('--model PATH is required (the reward model\'s base: a model folder or a .gguf file)');
	if (!v.adapter) throw new UsageError('--adapter DIR is required (a PEFT SEQ_CLS adapter folder, e.g. a reward job\'s export)');
	if (v.prompt === undefined) throw new UsageError('--prompt TEXT is required (the user\'s message)');
	if (v.reply === undefined) throw new UsageError('--reply TEXT is required (the assistant reply to score)');
	const quant = v.quant as QuantMode;
	if (!['none', 'f16', 'q8', 'q4'].includes(quant)) throw new UsageError(`--quant must be none, f16, q8 or q4, got "${v.quant}"`);
	let maxTokens = 2048;
	if (v['max-tokens'] !== undefined) {
		maxTokens = Number(v['max-tokens']);
		if (v['max-tokens'].trim() === '' || !Number.isInteger(maxTokens) || maxTokens < 8) throw new UsageError(`--max-tokens must be a whole number of at least 8, got "${v['max-tokens']}"`);
	}
	return { model: v.model, adapter: v.adapter, prompt: v.prompt, reply: v.reply, system: v.system, maxTokens, quant, json: v.json };
}

/** The `--json` output. */
export interface ScoreJson {
	reward: number;
	/** Tokens scored (after the cut to --max-tokens). */
	tokens: number;
}

/**
 * Loads the base model with the adapter and scores the reply: the whole command minus printing,
 * shared with the tests (which pass their own GPU context).
 */
export async function runScore(o: ScoreCliOptions, ctx: GpuContext): Promise<ScoreJson> {
	const { openModel } = await import('../../../kernels/models/model-files.js');
	const { LlamaModel } = await import('../../../kernels/models/llama.js');
	const { rewardInput } = await import('../../../kernels/models/reward.js');
	const { nodeQuantCache } = await import('../../../kernels/models/quant-cache-node.js');
	const { openModelPath, folderSource } = await import('../../../kernels/models/source-node.js');
	const { source, gguf } = await openModelPath(o.model);
	const files: ModelFiles & { adapter?: LoadedAdapter } = await openModel(source, gguf, { adapter: folderSource(o.adapter) });
	if (!files.adapter?.scoreHead) throw new ModelError('unsupported', `${o.adapter} is a causal-LM adapter (no score head); score needs a reward model's SEQ_CLS adapter (use generate --adapter for a chat adapter)`);
	if (!files.tokenizer) throw new ModelError('missing-file', `${o.model} has no tokenizer we can read, so the conversation cannot be rendered`);
	const messages = [...(o.system !== undefined ? [{ role: 'system' as const, content: o.system }] : []), { role: 'user' as const, content: o.prompt }, { role: 'assistant' as const, content: o.reply }];
	const ids = rewardInput(files.tokenizer, messages, Math.min(o.maxTokens, files.config.maxPositions));
	const model = await LlamaModel.load(ctx, files, { quant: o.quant, cache: o.quant === 'q8' || o.quant === 'q4' ? nodeQuantCache() : null, maxSeq: ids.length });
	try {
		return { reward: await model.score(ids), tokens: ids.length };
	} finally {
		model.destroy();
	}
}

export const scoreCommand: CliCommand = {
	name: 'score',
	summary: 'score an assistant reply with a reward model (base + PEFT SEQ_CLS adapter) on the WebGPU kernels',
	help: HELP,
	async run(args) {
		const o = parseScoreArgs(args);
		return onGpu('score', async (ctx) => {
			const r = await runScore(o, ctx);
			if (o.json) emit(r);
			else process.stdout.write(`${r.reward}\n`);
			return 0;
		});
	}
};
