/**
 * Device smoke: are our kernels *right* on this adapter? Bundled by `npm run device:pack` and run
 * by scripts/device/run.sh on a device machine (no Node.js or node_modules there); here too:
 *
 *   npx tsx scripts/device/smoke.ts [--gpu] [--steps N] [--quants none,f16,q8,q4]
 *
 * `--gpu` prints what `oasis gpu` prints (adapter, features, limits) and exits. Otherwise, for the
 * bundled tiny model at each precision the adapter supports, it runs the `oasis generate` code path
 * (`--prompt … --chat --temperature 0 --json --logits --max-tokens N`), replays the same greedy
 * run step by step to read every step's logits, and compares both with the float64 CPU reference
 * (LlamaRef on the weights as the GPU sees them, teacher-forced with the GPU's tokens), as
 * kernels/models/llama.node.test.ts does. One JSON line per precision, then a summary line; the
 * exit code is 1 when any precision disagrees beyond the tests' tolerances:
 * max|gpu − ref| ≤ 1e-3 · max|ref| (1e-2 for f16 weights), and every token equal except where the
 * reference's top two logits are within 1e-3 (a near-tie: either token is right).
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { gpuCommand } from '../../server/cli/commands/gpu.js';
import { parseGenerateArgs, runGenerate } from '../../server/cli/commands/generate.js';
import { createNodeContext } from '../../kernels/gpu/node.js';
import { LlamaModel } from '../../kernels/models/llama.js';
import { LlamaRef, top2 } from '../../kernels/models/llama.ref.js';
import { openModel } from '../../kernels/models/model-files.js';
import { memoryQuantCache } from '../../kernels/models/quant-cache.js';
import { folderSource } from '../../kernels/models/source-node.js';
import { refWeights } from '../../kernels/models/testing/ref-weights.js';
import type { QuantMode } from '../../kernels/models/weights.js';

const TINY = 'public/models/oasis-tiny';
const PROMPT = 'How do plants grow?';
const QUANTS = ['none', 'f16', 'q8', 'q4'] as const;

const Options = z.object({
	gpu: z.boolean(),
	steps: z.coerce.number({ error: '--steps must be a whole number from 1 to 512' }).int('--steps must be a whole number from 1 to 512').min(1).max(512),
	quants: z
		.string()
		.transform((s) => s.split(',').map((q) => q.trim()))
		.pipe(z.array(z.enum(QUANTS, { error: '--quants takes a comma-separated list of none, f16, q8 and q4' })).min(1))
});

/** Tolerance on max|gpu − ref| / max|ref| per precision (the kernel tests' own). */
function logitTolerance(quant: QuantMode): number {
	return quant === 'f16' ? 1e-2 : 1e-3;
}

/** The agreement of one precision: a JSON line of the report. */
interface Agreement {
	smoke: 'oasis-tiny';
	quant: QuantMode;
	formats: Record<string, number>;
	steps: number;
	tokensEqual: number;
	nearTies: number;
	mismatches: number;
	cliMatchesReplay: boolean;
	maxRelLogitError: number;
	firstStepRelLogitError: number;
	tolerance: number;
	decodeTokS: number;
	ok: boolean;
}

async function check(ctx: Awaited<ReturnType<typeof createNodeContext>>, quant: QuantMode, steps: number): Promise<Agreement> {
	const args = ['--model', TINY, '--prompt', PROMPT, '--chat', '--quant', quant, '--temperature', '0', '--max-tokens', String(steps), '--json', '--logits'];
	const cli = await runGenerate(parseGenerateArgs(args), ctx);
	const files = await openModel(folderSource(TINY));
	const prompt = files.tokenizer!.encodeChat([{ role: 'user', content: PROMPT }]);

	// The same greedy run, reading every step's logits (the CLI returns the first step's only).
	const stepLogits: Float32Array[] = [];
	const model = await LlamaModel.load(ctx, files, { quant, cache: memoryQuantCache(), maxSeq: prompt.length + steps });
	const formats = model.stats.formats;
	let replay: number[];
	try {
		replay = (await model.generate(prompt, { maxTokens: steps, sampling: { temperature: 0 }, stopIds: [], onLogits: (l) => stepLogits.push(Float32Array.from(l)) })).ids;
	} finally {
		model.destroy();
	}
	const n = Math.min(cli.ids.length, replay.length);
	const ref = new LlamaRef(files.config, await refWeights(files, quant, ctx.features.f16));
	let want = ref.forward(prompt);
	let tokensEqual = 0;
	let nearTies = 0;
	let mismatches = 0;
	let maxRel = 0;
	let firstRel = 0;
	for (let i = 0; i < replay.length; i++) {
		let maxRef = 0;
		let maxErr = 0;
		for (let j = 0; j < want.length; j++) {
			maxRef = Math.max(maxRef, Math.abs(want[j]));
			maxErr = Math.max(maxErr, Math.abs(stepLogits[i][j] - want[j]));
		}
		maxRel = Math.max(maxRel, maxErr / maxRef);
		if (i === 0) {
			const first = cli.logits ?? [];
			for (let j = 0; j < want.length; j++) {
				const e = Math.abs((first[j] ?? NaN) - want[j]) / maxRef;
				firstRel = Number.isNaN(e) ? Infinity : Math.max(firstRel, e);
			}
		}
		const { best, gap } = top2(want);
		if (best === replay[i]) tokensEqual++;
		else if (gap < 1e-3) nearTies++;
		else mismatches++;
		// Teacher-force the reference with the GPU's token so both follow one path.
		if (i + 1 < replay.length) want = ref.forwardOne(replay[i]);
	}
	const cliMatchesReplay = n === replay.length && cli.ids.every((id, i) => id === replay[i]);
	const tolerance = logitTolerance(quant);
	return {
		smoke: 'oasis-tiny',
		quant,
		formats,
		steps: replay.length,
		tokensEqual,
		nearTies,
		mismatches,
		cliMatchesReplay,
		maxRelLogitError: +maxRel.toExponential(3),
		firstStepRelLogitError: +firstRel.toExponential(3),
		tolerance,
		decodeTokS: +cli.decode_tok_s.toFixed(1),
		ok: cliMatchesReplay && mismatches === 0 && maxRel <= tolerance && firstRel <= tolerance
	};
}

async function main(argv: string[]): Promise<number> {
	const { values } = parseArgs({
		args: argv,
		strict: true,
		options: { gpu: { type: 'boolean', default: false }, steps: { type: 'string', default: '64' }, quants: { type: 'string', default: QUANTS.join(',') } }
	});
	const parsed = Options.safeParse(values);
	if (!parsed.success) {
		process.stderr.write(`smoke: ${parsed.error.issues.map((i) => i.message).join('; ')}\n`);
		return 2;
	}
	const o = parsed.data;
	if (o.gpu) return gpuCommand.run([]);
	// q8/q4 through the CLI path cache their quantized weights on disk: keep that out of $HOME.
	process.env.OASIS_CACHE_DIR ??= '/tmp/oasis-device-cache';
	const ctx = await createNodeContext();
	try {
		const adapter = { vendor: ctx.info.vendor, architecture: ctx.info.architecture, description: ctx.info.description, isCpu: ctx.info.isCpu };
		const results: Agreement[] = [];
		for (const q of o.quants) {
			if (q === 'f16' && !ctx.features.f16) {
				console.log(JSON.stringify({ smoke: 'oasis-tiny', quant: q, skipped: 'the adapter has no shader-f16' }));
				continue;
			}
			const r = await check(ctx, q, o.steps);
			results.push(r);
			console.log(JSON.stringify(r));
		}
		const ok = results.length > 0 && results.every((r) => r.ok);
		console.log(JSON.stringify({ summary: 'smoke: oasis generate vs float64 reference', adapter, ok, failed: results.filter((r) => !r.ok).map((r) => r.quant) }));
		return ok ? 0 : 1;
	} finally {
		ctx.destroy();
	}
}

process.exitCode = await main(process.argv.slice(2));
