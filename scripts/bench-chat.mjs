// `npm run bench:chat`: how fast the bundled model chats in the browser against the Node CLI path,
// on the same software adapter, in one run (a benchmark, not a test: it prints, never asserts).
//
// Browser: the built app served on a free loopback port, headless Debian Chromium (launch options
// of tests/chromium.ts), the /chat page driving the engine worker exactly as a user does (greedy
// sampling, Regenerate on one prompt). Per reply the page records time to first token (request →
// first text chunk: worker messaging, tokenizer, prefill, first step) and decode tokens/s (tokens
// after the first ÷ time from first to last chunk) — the figures the chat shows under a reply.
// Node: the same model files, prompt, chat template and greedy sampling through kernels/models
// (LlamaModel.generate, as kernels/bench/generate.bench.ts), Dawn pointed at Chromium's own
// SwiftShader Vulkan ICD (VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json), timed the
// same way from its onToken callbacks. Both warm up first (pipelines compiled), then take the
// median of --runs replies. Last line: both and their ratios (aim: browser within 20% of Node).
//
// Options: --tokens 96 (max tokens per reply)  --runs 3  --no-build (use build/ as it is)
//          --build DIR (benchmark the build in DIR, e.g. a sandbox's; implies --no-build)
//          --node-default (also run Node on its usual adapter, e.g. lavapipe, for reference)
// Only 127.0.0.1 is contacted; the server, browser and temp folder are removed at the end.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensureBuild, log, root, startBuiltServer } from './lib.mjs';

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
	const i = argv.indexOf(`--${name}`);
	return i >= 0 && argv[i + 1] && !argv[i + 1].startsWith('--') ? argv[i + 1] : fallback;
};
const flag = (name) => argv.includes(`--${name}`);

const TOKENS = Number(opt('tokens', 96));
const RUNS = Number(opt('runs', 3));
const BUILD = opt('build', null);
const PROMPT = 'Write a short story about a lighthouse keeper who finds a message in a bottle.';
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const MODEL_DIR = join(root, 'public', 'models', 'oasis-tiny');
const out = (o) => console.log(JSON.stringify(o));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (!Number.isInteger(TOKENS) || TOKENS < 2 || TOKENS > 1024) throw new Error(`--tokens takes 2..1024, not ${opt('tokens')}`);
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 20) throw new Error(`--runs takes 1..20, not ${opt('runs')}`);

/** Summarises per-reply timings: median time to first token and median decode tokens/s. */
function summarise(replies) {
	return {
		firstTokenMs: Math.round(median(replies.map((r) => r.firstTokenMs)) * 10) / 10,
		decodeTokS: Math.round(median(replies.map((r) => (r.tokens - 1) / (r.decodeMs / 1000))) * 10) / 10,
		tokens: median(replies.map((r) => r.tokens))
	};
}

// ---- Node child: runs under tsx with VK_ICD_FILENAMES set by the parent ------------------------
async function nodeChild() {
	const { createNodeContext } = await import('../kernels/gpu/node.ts');
	const { LlamaModel, openModel } = await import('../kernels/models/index.ts');
	const { folderSource } = await import('../kernels/models/source-node.ts');
	const ctx = await createNodeContext();
	const files = await openModel(folderSource(MODEL_DIR));
	const model = await LlamaModel.load(ctx, files, { quant: 'none', maxSeq: 2048 });
	const tok = files.tokenizer;
	const messages = [{ role: 'user', content: PROMPT }];
	const once = async (maxTokens) => {
		const t0 = performance.now();
		const prompt = tok.encodeChat(messages);
		const decoder = tok.streamDecoder();
		let tFirst = 0;
		let tLast = 0;
		const r = await model.generate(prompt, {
			maxTokens,
			sampling: { temperature: 0 },
			seed: 1,
			onToken: (id) => {
				if (decoder.push(id)) {
					tLast = performance.now();
					tFirst ||= tLast;
				}
			}
		});
		return { firstTokenMs: tFirst - t0, tokens: r.ids.length, decodeMs: tLast - tFirst, promptTokens: r.promptTokens };
	};
	await once(4); // compile the pipelines
	const replies = [];
	for (let i = 0; i < RUNS; i++) replies.push(await once(TOKENS));
	const adapter = { ...ctx.info, features: ctx.featureList() };
	model.destroy();
	ctx.destroy();
	process.stdout.write(JSON.stringify({ adapter, replies }) + '\n');
	process.exit(0);
}

// ---- Parent ------------------------------------------------------------------------------------
const cleanups = [];
async function cleanup() {
	while (cleanups.length) await cleanups.pop()().catch(() => undefined);
}
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

const startServer = (dir) => startBuiltServer(dir, cleanups, 'bench-chat');

async function browserRun(base) {
	const { chromium } = await import('playwright');
	const { chromiumLaunchOptions } = await import('../tests/chromium.ts');
	const browser = await chromium.launch(chromiumLaunchOptions);
	cleanups.push(() => browser.close());
	const page = await browser.newPage();
	// Nothing leaves the machine.
	await page.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()));
	await page.goto(`${base}/chat`);
	const adapter = await page.evaluate(async () => {
		const a = await navigator.gpu?.requestAdapter();
		if (!a) return null;
		return { vendor: a.info.vendor, architecture: a.info.architecture, device: a.info.device, description: a.info.description, features: [...a.features].map(String).sort() };
	});
	const status = page.getByTestId('engine-status');
	await status.getByText('Model ready').waitFor({ timeout: 120_000 });
	const engine = (await status.innerText()).trim();

	await page.getByRole('button', { name: 'New chat' }).click();
	await page.getByText('Chat settings').click();
	await page.getByLabel('Sampling preset').selectOption('custom');
	const setField = async (label, value) => {
		const field = page.getByLabel(label);
		await field.fill(String(value));
		await field.blur();
	};
	await setField('Temperature (0 = greedy)', 0);
	await setField('Max reply length (tokens)', 4);
	const reply = page.locator('[data-testid=message][data-role=assistant]').first();
	const settled = async () => {
		await page.waitForFunction(
			() => {
				const el = document.querySelector('[data-testid=message][data-role=assistant]');
				return el && /complete|length|error/.test(el.getAttribute('data-state') ?? '') && el.getAttribute('aria-busy') === 'false';
			},
			undefined,
			{ timeout: 300_000 }
		);
		const state = await reply.getAttribute('data-state');
		if (state === 'error') throw new Error(`the browser reply failed: ${await reply.innerText()}`);
		const attr = async (name) => Number(await reply.getAttribute(name));
		return { firstTokenMs: await attr('data-first-token-ms'), tokens: await attr('data-tokens'), decodeMs: await attr('data-decode-ms') };
	};
	await page.getByLabel('Message', { exact: true }).fill(PROMPT);
	await page.getByLabel('Message', { exact: true }).press('Enter');
	await settled(); // compile the pipelines
	await setField('Max reply length (tokens)', TOKENS);
	const replies = [];
	for (let i = 0; i < RUNS; i++) {
		await reply.getByRole('button', { name: 'Regenerate' }).click();
		await page.getByTestId('branch-position').getByText(`${i + 2}/${i + 2}`).waitFor();
		replies.push(await settled());
	}
	return { adapter, engine, replies };
}

/** The Node path in a child process; `icd` null keeps the environment's Vulkan driver. */
function nodeRun(icd) {
	return new Promise((resolve, reject) => {
		const env = { ...process.env };
		if (icd) env.VK_ICD_FILENAMES = icd;
		const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench-chat.mjs', '--node-child', '--tokens', String(TOKENS), '--runs', String(RUNS)], {
			cwd: root,
			env,
			stdio: ['ignore', 'pipe', 'inherit']
		});
		let text = '';
		child.stdout.on('data', (d) => (text += d));
		child.on('error', reject);
		child.on('exit', (code) => {
			const line = text.trim().split('\n').at(-1) ?? '';
			if (code !== 0 || !line.startsWith('{')) return reject(new Error(`the Node run exited with code ${code}: ${text.slice(-500)}`));
			resolve(JSON.parse(line));
		});
	});
}

async function main() {
	if (!existsSync(SWIFTSHADER_ICD)) throw new Error(`${SWIFTSHADER_ICD} is missing: install Debian's chromium (npm run setup).`);
	let dir = root;
	if (BUILD) dir = BUILD;
	else if (!flag('no-build')) await ensureBuild();
	if (!existsSync(join(dir, 'build', 'index.js'))) throw new Error(`no build in ${dir}: run without --no-build`);
	log(`bench:chat — bundled model, ${TOKENS} tokens, median of ${RUNS}; browser first, then Node on the same SwiftShader`);
	const base = await startServer(dir);
	const browser = await browserRun(base);
	await cleanup();
	const node = await nodeRun(SWIFTSHADER_ICD);
	const ref = flag('node-default') ? await nodeRun(null) : null;
	const b = summarise(browser.replies);
	const n = summarise(node.replies);
	out({ run: 'browser', adapter: browser.adapter, engine: browser.engine, replies: browser.replies, ...b });
	out({ run: 'node', adapter: node.adapter, replies: node.replies, ...n });
	if (ref) out({ run: 'node-default-adapter', adapter: ref.adapter, replies: ref.replies, ...summarise(ref.replies) });
	const ratio = (x, y) => Math.round((x / y) * 100) / 100;
	const summary = {
		summary: 'bench:chat',
		model: 'oasis-tiny',
		tokens: TOKENS,
		browser: { adapter: `Chromium WebGPU: ${browser.adapter?.description || browser.adapter?.architecture || browser.adapter?.vendor || 'unknown'}`, ...b },
		node: { adapter: `Dawn (npm webgpu) on ${node.adapter.description} via ${SWIFTSHADER_ICD}`, ...n },
		decodeBrowserOverNode: ratio(b.decodeTokS, n.decodeTokS),
		firstTokenBrowserOverNode: ratio(b.firstTokenMs, n.firstTokenMs),
		aim: 'browser decode ≥ 0.8× Node, first token ≤ 1.2× Node'
	};
	out(summary);
	console.error(
		`browser (${summary.browser.adapter}): first token ${b.firstTokenMs} ms, decode ${b.decodeTokS} tok/s\n` +
			`node    (${summary.node.adapter}): first token ${n.firstTokenMs} ms, decode ${n.decodeTokS} tok/s\n` +
			`browser/node: decode ${summary.decodeBrowserOverNode}×, first token ${summary.firstTokenBrowserOverNode}×`
	);
}

if (flag('node-child')) await nodeChild();
else
	await main().then(cleanup, async (e) => {
		await cleanup();
		console.error(e instanceof Error ? e.message : e);
		process.exit(1);
	});
