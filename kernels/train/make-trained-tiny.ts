/**
 * Trains the tiny model's weights with our own trainer (LlamaTrainer, full-parameter, f32 on
 * WebGPU — lavapipe on a CPU machine) on the Open Assistant sample, and writes a Hugging Face
 * folder with the same config and tokenizer as public/models/oasis-tiny:
 *
 *   npx tsx kernels/train/make-trained-tiny.ts [--minutes N] [--steps N] [--seed S] [--out DIR]
 *     [--lr LR] [--sft-lr LR] [--schedule cosine|constant] [--max-len N] [--batch-tokens N] [--install]
 *
 * Data: the first 90 trees of en_100_tree.jsonl (the ones the tokenizer was learned from); the
 * last 10 are held out. Threads are rendered with the ChatML template (corpus/oasst.ts), long
 * ones cut into windows of --max-len tokens.
 * Schedule, two phases of AdamW from a fresh seeded initialisation:
 *  1. language modelling on every token of the threads (prompts too): the same forward and
 *     backward cost as SFT but about 15% more targets, and the prompts' English is signal a
 *     model this small and this short of data can use;
 *  2. SFT: loss on the assistant replies only (content and `<|im_end|>`), at a lower learning
 *     rate (a new trainer on phase 1's weights: the AdamW moments restart).
 * Steps: --steps, or as many as fit in --minutes (default 10) at the tokens/s measured on a
 * throwaway trainer first. Given the seed and the step count the run is deterministic up to
 * floating-point reduction order; the README records both.
 * Reported: the loss curve, the held-out loss per token on the held-out trees' assistant
 * replies against a unigram baseline (add-one smoothing, estimated on the training replies),
 * and greedy / sampled replies (LlamaModel). Outputs land in --out (default
 * kernels/train/.out/oasis-tiny-trained) with a metrics.json beside the model files.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { GpuContext } from '../gpu/context.js';
import { createNodeContext } from '../gpu/node.js';
import { LlamaModel } from '../models/llama.js';
import { HELD_OUT, TINY_DATA, TINY_SPEC } from '../models/make-tiny-model.js';
import { openModel, type ModelFiles } from '../models/model-files.js';
import { randomNormal, seededRandom } from '../models/random.js';
import { writeSafetensors } from '../models/safetensors.js';
import { blobSource } from '../models/source.js';
import { folderSource } from '../models/source-node.js';
import type { ModelTokenizer } from '../models/tokenizer.js';
import { EMBED, FINAL_NORM, layerNames } from '../models/weights.js';
import { LlamaTrainer } from './llama-train.js';
import type { TrainBatch } from './train-batch.js';
import { maskedTokens, packExamples, parseTreeJsonl, renderThread, treeThreads, unigramCrossEntropy, type Example, type OasstNode } from './corpus/oasst.js';

/** The folder whose config and tokenizer the trained model shares. */
export const TINY_DIR = 'public/models/oasis-tiny';
export const DEFAULT_OUT = 'kernels/train/.out/oasis-tiny-trained';

const optionsSchema = z.object({
	minutes: z.number().positive().max(600).default(10),
	steps: z.number().int().positive().optional(),
	seed: z.number().int().default(20261127),
	out: z.string().min(1).default(DEFAULT_OUT),
	maxLen: z.number().int().min(16).max(2048).default(256),
	batchTokens: z.number().int().min(64).default(1024),
	lr: z.number().positive().default(3e-3),
	sftLr: z.number().positive().default(1e-3),
	/** Fraction of the steps in phase 1 (all tokens). */
	pretrainFraction: z.number().min(0).max(1).default(0.6),
	/** Learning rate per phase: linear warm-up then cosine decay to 10%, or constant. */
	schedule: z.enum(['cosine', 'constant']).default('cosine'),
	/** Copy the trained weights, README and metrics into the bundled folder (TINY_DIR). */
	install: z.boolean().default(false)
});
export type MakeTrainedOptions = z.input<typeof optionsSchema>;

/** The training and held-out threads as examples (the tokenizer of `tok`). */
export async function oasstExamples(tok: ModelTokenizer, maxLen: number, file = TINY_DATA) {
	const trees = parseTreeJsonl(await readFile(file, 'utf8'), file);
	const trainTrees = trees.slice(0, trees.length - HELD_OUT);
	const heldTrees = trees.slice(trees.length - HELD_OUT);
	const render = (ts: OasstNode[]) => ts.flatMap((t) => treeThreads(t)).map((th) => renderThread(tok, th));
	return { train: render(trainTrees).flatMap((e) => windows(e, maxLen)), heldOut: render(heldTrees), trees: { train: trainTrees.length, heldOut: heldTrees.length } };
}

/** Cuts an example into consecutive windows of at most `maxLen` tokens (each starts at position 0). */
export function windows(e: Example, maxLen: number): Example[] {
	if (e.tokens.length <= maxLen) return [e];
	const out: Example[] = [];
	for (let s = 0; s + 1 < e.tokens.length; s += maxLen) {
		const tokens = e.tokens.slice(s, s + maxLen);
		const lossMask = e.lossMask.slice(s, s + maxLen);
		out.push({ tokens, lossMask, targetTokens: lossMask.reduce((n, m, i) => n + (i > 0 ? m : 0), 0) });
	}
	return out;
}

/** Every token after the first a target (phase 1). */
function allTokens(e: Example): Example {
	return { ...e, lossMask: Uint8Array.from(e.tokens, (_, i) => (i > 0 ? 1 : 0)) };
}

/** Seeded Fisher-Yates permutation of 0..n-1. */
function permutation(n: number, rand: () => number): number[] {
	const p = Array.from({ length: n }, (_, i) => i);
	for (let i = n - 1; i > 0; i--) {
		const j = Math.floor(rand() * (i + 1));
		[p[i], p[j]] = [p[j], p[i]];
	}
	return p;
}

/**
 * Fresh weights for the tiny config: embeddings N(0, 0.02²) (tied: near-uniform first logits),
 * q/k/v/gate/up N(0, 1/fan_in), o/down N(0, 1/(2·layers·fan_in)) (residual branches start
 * small), norms 1.
 */
export function initialWeights(config: Record<string, unknown>, seed: number): Map<string, { shape: number[]; data: Float32Array }> {
	const rand = seededRandom(seed);
	const s = TINY_SPEC;
	const D = s.hidden;
	const Dh = D / s.heads;
	const w = new Map<string, { shape: number[]; data: Float32Array }>();
	const mat = (name: string, rows: number, cols: number, scale: number) => w.set(name, { shape: [rows, cols], data: randomNormal(rand, rows * cols, scale) });
	const ones = (name: string, n: number) => w.set(name, { shape: [n], data: new Float32Array(n).fill(1) });
	if (config.vocab_size !== s.vocab || config.hidden_size !== D) throw new Error(`${TINY_DIR}/config.json does not match TINY_SPEC; rebuild it with kernels/models/make-tiny-model.ts`);
	mat(EMBED, s.vocab, D, 0.02);
	ones(FINAL_NORM, D);
	const resid = 1 / Math.sqrt(2 * s.layers);
	for (let i = 0; i < s.layers; i++) {
		const n = layerNames(i);
		ones(n.inputNorm, D);
		ones(n.postNorm, D);
		mat(n.q, s.heads * Dh, D, 1 / Math.sqrt(D));
		mat(n.k, s.kvHeads * Dh, D, 1 / Math.sqrt(D));
		mat(n.v, s.kvHeads * Dh, D, 1 / Math.sqrt(D));
		mat(n.o, D, s.heads * Dh, resid / Math.sqrt(s.heads * Dh));
		mat(n.gate, s.intermediate, D, 1 / Math.sqrt(D));
		mat(n.up, s.intermediate, D, 1 / Math.sqrt(D));
		mat(n.down, D, s.intermediate, resid / Math.sqrt(s.intermediate));
	}
	return w;
}

/** safetensors bytes of named f32 tensors. */
export function safetensorsOf(tensors: { name: string; shape: number[]; data: Float32Array }[]): Uint8Array {
	return writeSafetensors(tensors.map((t) => ({ name: t.name, dtype: 'F32', shape: t.shape, data: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) })));
}

/** The trainer's parameters as named tensors. */
async function trainedTensors(trainer: LlamaTrainer) {
	const flat = await trainer.readParameters();
	return trainer.parameters().map((p) => ({ name: p.name, shape: p.shape, data: flat.slice(p.offset, p.offset + p.size) }));
}

/** An in-memory model folder: the tiny config and tokenizer with these weights. */
export async function memoryModel(weights: Uint8Array, label: string): Promise<ModelFiles> {
	const files = new Map<string, Blob>();
	for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json']) files.set(f, new Blob([await readFile(join(TINY_DIR, f))]));
	files.set('model.safetensors', new Blob([weights.slice()]));
	return openModel(blobSource(files, label));
}

/** Mean loss per masked token over batches (each batch's mean weighted by its token count). */
export async function meanLoss(trainer: LlamaTrainer, batches: TrainBatch[]): Promise<number> {
	let sum = 0;
	let n = 0;
	for (const b of batches) {
		const k = maskedTokens(b);
		sum += (await trainer.evaluate(b)) * k;
		n += k;
	}
	return sum / n;
}

/**
 * The learning rate of step `i` (0-based) of a phase of `total` steps: linear warm-up over the
 * first 5% (at least one step), then cosine decay from `peak` to a tenth of it at the last step.
 */
export function scheduledLr(peak: number, i: number, total: number): number {
	const warm = Math.max(1, Math.round(total * 0.05));
	if (i < warm) return (peak * (i + 1)) / warm;
	const t = total - warm <= 1 ? 1 : (i - warm) / (total - warm - 1);
	return peak * (0.1 + 0.45 * (1 + Math.cos(Math.PI * Math.min(1, t))));
}

/** The held-out sample a test re-evaluates quickly: the first threads of at most `maxTokens` tokens. */
export const HELD_SAMPLE = { maxTokens: 320, threads: 16 } as const;

/** Loss per assistant token of the model in `files` on the held-out sample (HELD_SAMPLE). */
export async function heldOutSampleLoss(ctx: GpuContext, files: ModelFiles, heldOut: Example[]): Promise<{ threads: number; tokens: number; loss: number }> {
	const sample = heldOut.filter((e) => e.tokens.length <= HELD_SAMPLE.maxTokens).slice(0, HELD_SAMPLE.threads);
	const batches = packExamples(sample, sample.map((_, i) => i), 1024);
	const trainer = await LlamaTrainer.create(ctx, files, { mode: 'lora', rank: 1, maxSeq: HELD_SAMPLE.maxTokens });
	try {
		return { threads: sample.length, tokens: batches.reduce((n, b) => n + maskedTokens(b), 0), loss: +(await meanLoss(trainer, batches)).toFixed(4) };
	} finally {
		trainer.dispose();
	}
}

/** What --install copies into the bundled folder (config and tokenizer are already the same). */
export const INSTALLED = ['model.safetensors', 'README.md', 'metrics.json'];

/** Steps 2…CALIBRATE+1 of phase 1 are timed (the first compiles the pipelines). */
const CALIBRATE = 3;

const PROMPTS = ['What is the capital of France?', 'How do I make a cup of tea?', 'Can you explain what a neural network is?', 'Write a short poem about the sea.'];

/** Trains, evaluates, samples and writes the folder; returns the metrics it records. */
export async function makeTrainedTiny(ctx: GpuContext, options: MakeTrainedOptions = {}, log: (s: string) => void = console.log) {
	const parsed = optionsSchema.safeParse(options);
	if (!parsed.success) throw new Error(`make-trained-tiny: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
	const o = parsed.data;
	const t0 = performance.now();
	const base = await openModel(folderSource(TINY_DIR));
	const tok = base.tokenizer;
	if (!tok) throw new Error(`${TINY_DIR}: no tokenizer.json`);
	const config = JSON.parse(await readFile(join(TINY_DIR, 'config.json'), 'utf8')) as Record<string, unknown>;
	const V = base.config.vocabSize;

	const data = await oasstExamples(tok, o.maxLen);
	const heldBatches = packExamples(data.heldOut, data.heldOut.map((_, i) => i), 2048);
	const heldTotal = heldBatches.reduce((n, b) => n + b.tokens.reduce((k, t) => k + t.length, 0), 0);
	const longest = Math.max(...data.heldOut.map((e) => e.tokens.length));
	const sftAll = packExamples(data.train, data.train.map((_, i) => i), o.batchTokens);
	const trainTokens = data.train.reduce((n, e) => n + e.tokens.length, 0);
	const unigram = unigramCrossEntropy(sftAll, heldBatches, V);
	const heldTokens = heldBatches.reduce((n, b) => n + maskedTokens(b), 0);
	log(`data: ${data.trees.train} training trees → ${data.train.length} windows, ${trainTokens} tokens (${sftAll.reduce((n, b) => n + maskedTokens(b), 0)} assistant); held out: ${data.trees.heldOut} trees, ${data.heldOut.length} threads, ${heldTokens} assistant tokens (longest thread ${longest})`);
	log(`unigram baseline (add-one, training replies): ${unigram.toFixed(4)} nats/token on the held-out replies; uniform: ${Math.log(V).toFixed(4)}`);

	const init = initialWeights(config, o.seed);
	const initFiles = await memoryModel(safetensorsOf([...init].map(([name, t]) => ({ name, ...t }))), 'oasis-tiny init');
	const trainerOpts = { mode: 'full' as const, betas: [0.9, 0.95] as [number, number], weightDecay: 0.01, clip: 1, maxSeq: Math.max(o.maxLen, longest) };

	const curve: { step: number; phase: number; loss: number }[] = [];
	let trained = 0;
	let steps = o.steps ?? 0;
	let phase1 = Math.round(steps * o.pretrainFraction);
	let measuredTokS = 0;
	const rand = seededRandom(o.seed + 2);
	const trainStart = performance.now();
	/** Runs a phase; phase 1 times its steps 2…4 and, without --steps, sizes the run from them. */
	const runPhase = async (files: ModelFiles, phase: 1 | 2, lr: number) => {
		const tr = await LlamaTrainer.create(ctx, files, { ...trainerOpts, lr });
		try {
			let queue: TrainBatch[] = [];
			let window: number[] = [];
			let timedFrom = 0;
			let timedTokens = 0;
			for (let i = 0; i < (phase === 1 ? (steps ? phase1 : CALIBRATE + 1) : steps - phase1); i++) {
				if (queue.length === 0) {
					const ex = phase === 1 ? data.train.map(allTokens) : data.train;
					queue = packExamples(ex, permutation(ex.length, rand), o.batchTokens);
				}
				const b = queue.shift()!;
				if (phase === 1 && i === 1) timedFrom = performance.now();
				if (o.schedule === 'cosine' && steps) tr.setLearningRate(scheduledLr(lr, i, phase === 1 ? phase1 : steps - phase1));
				const r = await tr.step(b);
				const n = b.tokens.reduce((k, t) => k + t.length, 0);
				trained += n;
				if (phase === 1 && i >= 1 && i <= CALIBRATE) timedTokens += n;
				if (phase === 1 && i === CALIBRATE) {
					measuredTokS = timedTokens / ((performance.now() - timedFrom) / 1000);
					if (!steps) {
						// What is left of the budget, less the held-out evaluation and the samples.
						const evalS = (heldTotal / 3 + 6 * 64 * 8) / measuredTokS;
						const leftS = o.minutes * 60 - (performance.now() - t0) / 1000 - evalS;
						steps = Math.max(CALIBRATE + 2, i + 1 + Math.floor((leftS * measuredTokS) / (trained / (i + 1))));
						phase1 = Math.max(i + 1, Math.round(steps * o.pretrainFraction));
					}
					log(`throughput: ${measuredTokS.toFixed(1)} tokens/s (full-training steps of ≈ ${(timedTokens / CALIBRATE).toFixed(0)} tokens) → ${steps} steps (${phase1} all-token, ${steps - phase1} SFT)`);
				}
				window.push(r.loss);
				const last = i === (phase === 1 ? phase1 : steps - phase1) - 1;
				if (window.length === 10 || last) {
					const loss = window.reduce((x, y) => x + y, 0) / window.length;
					curve.push({ step: (curve.at(-1)?.step ?? 0) + window.length, phase, loss });
					window = [];
					if (curve.length % 5 === 1 || last) log(`phase ${phase} step ${i + 1}: train loss ${loss.toFixed(4)} (mean of the last steps), ${((performance.now() - t0) / 1000).toFixed(0)} s`);
				}
			}
			return { tensors: await trainedTensors(tr), heldOut: phase === 2 || phase1 >= steps ? await meanLoss(tr, heldBatches) : Number.NaN };
		} finally {
			tr.dispose();
		}
	};
	const p1 = await runPhase(initFiles, 1, o.lr);
	const p1Files = await memoryModel(safetensorsOf(p1.tensors), 'oasis-tiny phase 1');
	const p2 = phase1 < steps ? await runPhase(p1Files, 2, o.sftLr) : p1;
	const trainS = (performance.now() - trainStart) / 1000;
	log(`held-out loss per assistant token: ${p2.heldOut.toFixed(4)} nats (unigram ${unigram.toFixed(4)}, uniform ${Math.log(V).toFixed(4)})`);

	// The folder.
	await mkdir(o.out, { recursive: true });
	const weights = safetensorsOf(p2.tensors);
	await writeFile(join(o.out, 'model.safetensors'), weights);
	for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json']) await copyFile(join(TINY_DIR, f), join(o.out, f));

	// Samples from the written folder, through the inference path.
	const files = await openModel(folderSource(o.out));
	const sample = await heldOutSampleLoss(ctx, files, data.heldOut);
	const model = await LlamaModel.load(ctx, files, { maxSeq: 512 });
	const samples: { prompt: string; mode: string; reply: string; finish: string }[] = [];
	try {
		for (const [k, prompt] of PROMPTS.entries()) {
			const ids = tok.encodeChat([{ role: 'user', content: prompt }]);
			for (const mode of k < 2 ? ['greedy', 'sampled'] : ['greedy']) {
				const sampling = mode === 'greedy' ? { temperature: 0 } : { temperature: 0.7, topP: 0.9 };
				const r = await model.generate(ids, { maxTokens: 64, sampling, seed: o.seed + k });
				const reply = tok.decode(r.ids).trim();
				samples.push({ prompt, mode, reply, finish: r.finishReason });
				log(`[${mode}] ${prompt}\n  → ${reply}${r.finishReason === 'length' ? ' …' : ''}`);
			}
		}
	} finally {
		model.destroy();
	}
	const metrics = {
		seed: o.seed,
		steps,
		phase1Steps: phase1,
		lr: o.lr,
		sftLr: o.sftLr,
		schedule: o.schedule,
		maxLen: o.maxLen,
		batchTokens: o.batchTokens,
		trainedTokens: trained,
		trainTokensPerEpoch: trainTokens,
		measuredTokS: +measuredTokS.toFixed(1),
		stepsPerSecond: +(steps / trainS).toFixed(3),
		trainSeconds: +trainS.toFixed(1),
		wallSeconds: +((performance.now() - t0) / 1000).toFixed(1),
		adapter: ctx.info.description || ctx.info.device || ctx.info.vendor,
		heldOut: { trees: data.trees.heldOut, threads: data.heldOut.length, tokens: heldTokens, final: +p2.heldOut.toFixed(4), unigram: +unigram.toFixed(4), uniform: +Math.log(V).toFixed(4), sample },
		curve: curve.map((c) => ({ ...c, loss: +c.loss.toFixed(4) })),
		samples
	};
	await writeFile(join(o.out, 'metrics.json'), JSON.stringify(metrics, null, 2));
	await writeFile(join(o.out, 'README.md'), trainedReadme(metrics));
	log(`wrote ${o.out} in ${metrics.wallSeconds} s`);
	if (o.install) {
		for (const f of INSTALLED) await copyFile(join(o.out, f), join(TINY_DIR, f));
		log(`installed ${INSTALLED.join(', ')} into ${TINY_DIR}`);
	}
	return metrics;
}

export type TrainedTinyMetrics = Awaited<ReturnType<typeof makeTrainedTiny>>;

/** The README of the trained folder, from its metrics. */
export function trainedReadme(m: TrainedTinyMetrics): string {
	const h = m.heldOut;
	const first = m.curve[0];
	const p1End = m.curve.filter((c) => c.phase === 1).at(-1);
	const last = m.curve.at(-1)!;
	const samples = m.samples.map((s) => `- **${s.prompt}** (${s.mode})\n\n  > ${s.reply.replace(/\n+/g, ' ') || '(whitespace only)'}${s.finish === 'length' ? ' …' : ''}`).join('\n');
	return `# oasis-tiny (trained)

A tiny Llama-shaped chat model (about 0.9 M parameters: vocab 1024, hidden 128, MLP 384, 4 layers,
4/2 heads, tied embeddings, f32), trained from scratch by Oasis's own WebGPU trainer
(\`kernels/train/llama-train.ts\`, full-parameter AdamW) on ${m.adapter}. **It is tiny**: expect
English-looking, assistant-style text, not correct answers.

\`config.json\`, \`tokenizer.json\` (a byte-level BPE of 1024 tokens learned from the first 90 trees
of \`en_100_tree.jsonl\`), \`tokenizer_config.json\` (ChatML template) and \`generation_config.json\`
come from \`npx tsx kernels/models/make-tiny-model.ts\` (with \`--random-weights\` it also writes the
seeded random weights the bundle had before); \`model.safetensors\` is the trainer's, as below.
CPU budget: ${Math.round(m.trainSeconds / 60)} minutes of training on 2 shared CPU cores, no GPU.

## How it was made

\`npm run train:tiny -- --steps ${m.steps} --seed ${m.seed} --lr ${m.lr} --sft-lr ${m.sftLr} --schedule ${m.schedule} --install\`
(\`kernels/train/make-trained-tiny.ts\`; \`--install\` copies \`model.safetensors\`, this README and
\`metrics.json\` into \`public/models/oasis-tiny\`; deterministic given
seed and steps, up to floating-point reduction order; without \`--steps\` the script picks as many
steps as fit in \`--minutes\`, default 10, at the throughput it measures first).

- Data: the first 90 trees of the Open Assistant sample \`en_100_tree.jsonl\` (Apache-2.0), as
  threads (root-to-leaf paths; every assistant reply a target exactly once) rendered with the
  ChatML template, cut into windows of ${m.maxLen} tokens: ${m.trainTokensPerEpoch} tokens per epoch. The
  last 10 trees are held out.
- Initialisation (seed ${m.seed}): embeddings N(0, 0.02²), q/k/v/gate/up N(0, 1/fan_in),
  o/down N(0, 1/(2·4·fan_in)), norms 1.
- Phase 1, ${m.phase1Steps} steps: loss on every token (prompts too), AdamW lr ${m.lr}${m.schedule === 'cosine' ? ' (peak: linear warm-up over 5% of the phase, cosine decay to a tenth)' : ''}, β (0.9, 0.95),
  weight decay 0.01 on matrices, clip 1.
- Phase 2, ${m.steps - m.phase1Steps} steps: SFT, loss on the assistant replies only (content and
  \`<|im_end|>\`), lr ${m.sftLr}${m.schedule === 'cosine' ? ' (same schedule)' : ''} (fresh AdamW moments).
- Batches of about ${m.batchTokens} tokens (whole threads packed), ${m.trainedTokens} tokens in all
  (${(m.trainedTokens / m.trainTokensPerEpoch).toFixed(2)} of an epoch), ${m.trainSeconds} s of training,
  ${m.wallSeconds} s wall for the whole script (${m.measuredTokS} tokens/s measured; 2 shared CPU cores).
- Train loss (mean of 10 steps): ${first.loss} at the start → ${p1End?.loss ?? '–'} at the end of phase 1 (all tokens)
  → ${last.loss} at the end (assistant tokens). The full curve: \`metrics.json\`.

## Held-out loss

Cross-entropy per token on the ${h.tokens} assistant tokens (content and \`<|im_end|>\`) of the
${h.threads} threads of the ${h.trees} held-out trees:

| model | nats/token |
|---|---|
| uniform over the vocabulary | ${h.uniform} |
| unigram, add-one smoothing, estimated on the training replies | ${h.unigram} |
| **this model** | **${h.final}** |

## Samples

ChatML prompt with the default system message; greedy, or temperature 0.7 / top-p 0.9; up to 64
tokens (… = cut at the limit).

${samples}
`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
	const { values } = parseArgs({
		options: {
			minutes: { type: 'string' },
			steps: { type: 'string' },
			seed: { type: 'string' },
			out: { type: 'string' },
			'max-len': { type: 'string' },
			'batch-tokens': { type: 'string' },
			lr: { type: 'string' },
			'sft-lr': { type: 'string' },
			schedule: { type: 'string' },
			install: { type: 'boolean' }
		}
	});
	const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
	const ctx = await createNodeContext();
	try {
		await makeTrainedTiny(ctx, {
			minutes: num(values.minutes),
			steps: num(values.steps),
			seed: num(values.seed),
			out: values.out,
			maxLen: num(values['max-len']),
			batchTokens: num(values['batch-tokens']),
			lr: num(values.lr),
			sftLr: num(values['sft-lr']),
			schedule: values.schedule as 'cosine' | 'constant' | undefined,
			install: values.install
		});
	} finally {
		ctx.destroy();
	}
}
