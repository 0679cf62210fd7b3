// `npm run bench:web`: how light the contribution pages are (a benchmark, not a test: it prints,
// never asserts).
//
// 1. Initial JavaScript of each contribution page, from the built files alone: the scripts and
//    modulepreload links of its prerendered HTML (and the inline bootstrap's imports), followed
//    through every static import, gzip-compressed (zlib default level) and summed. Any ML chunk
//    among them is named: one built from kernels/, web/lib/{device,engine,train}/, @huggingface or
//    @mlc-ai (by the Vite manifest where present, and by content: WGSL compute entry points,
//    WebGPU adapter requests, onnxruntime, web-llm).
// 2. Lighthouse 12 in its default mobile emulation on the dashboard and a task page, signed in
//    (dev login; the session cookie is sent as an extra header), served by `node build/index.js`
//    on a free loopback port with a temporary SQLite database. Debian Chromium, flags of
//    spec/stack.md.
// Aims: performance ≥ 90, accessibility ≥ 95, initial JS < 150 KB gzip, no ML chunk.
//
// Options: --no-build (use build/ as it is)  --build DIR (the build in DIR, e.g. a sandbox's)
//          --no-lighthouse (payloads only)
// Only 127.0.0.1 is contacted; the server, Chromium and temp folder are removed at the end.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ensureBuild, log, root, startBuiltServer } from './lib.mjs';

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
	const i = argv.indexOf(`--${name}`);
	return i >= 0 && argv[i + 1] && !argv[i + 1].startsWith('--') ? argv[i + 1] : fallback;
};
const flag = (name) => argv.includes(`--${name}`);
const out = (o) => console.log(JSON.stringify(o));

const BUILD = opt('build', null);
const AIMS = { performance: 90, accessibility: 95, initialJsGzipBytes: 150 * 1024 };
/** Pages whose initial payload is measured (prerendered shells under build/prerendered). */
const PAYLOAD_PAGES = ['dashboard', ...listTaskPages()];
/** Pages Lighthouse loads. */
const LIGHTHOUSE_PAGES = ['/dashboard', '/tasks/initial_prompt'];
const CHROME_FLAGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];
const ML_SOURCES = [/^kernels\//, /^web\/lib\/(device|engine|train)\//, /node_modules\/@(huggingface|mlc-ai)\//];
const ML_CONTENT = [/@compute\s*@workgroup_size/, /requestAdapter\(/, /onnxruntime/, /@mlc-ai|web-llm|tvmjs/];

function listTaskPages() {
	const dir = join(BUILD ?? root, 'build', 'prerendered', 'tasks');
	return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.html')).map((f) => `tasks/${f.slice(0, -5)}`).sort() : [];
}

// ---- 1. initial JavaScript --------------------------------------------------------------------
/** Chunk files (relative to build/client) built from ML sources, per the Vite manifest. */
function mlFilesFromManifest(dir) {
	const path = join(dir, '.svelte-kit', 'output', 'client', '.vite', 'manifest.json');
	if (!existsSync(path)) return null;
	const manifest = JSON.parse(readFileSync(path, 'utf8'));
	return new Set(Object.entries(manifest).filter(([src]) => ML_SOURCES.some((re) => re.test(src))).map(([, c]) => c.file));
}

/** Static imports of a built ES module (`import … from "./x.js"`, `import "./x.js"`, `export … from`); not `import()`. */
function staticImports(code) {
	const found = new Set();
	const re = /(?:\bimport|\bexport)\s*(?:[\w$*{}\s,]+?\s*from\s*)?["']([^"']+\.js)["']/g;
	for (let m = re.exec(code); m; m = re.exec(code)) found.add(m[1]);
	return [...found];
}

function initialJs(dir, page, mlByManifest) {
	const client = join(dir, 'build', 'client');
	const htmlPath = join(dir, 'build', 'prerendered', `${page}.html`);
	const html = readFileSync(htmlPath, 'utf8');
	const htmlDir = dirname(join(client, `${page}.html`));
	const start = new Set();
	for (const m of html.matchAll(/<link[^>]+>/g)) {
		if (!/rel="?modulepreload/.test(m[0])) continue;
		const href = /href="([^"]+)"/.exec(m[0])?.[1];
		if (href) start.add(href);
	}
	for (const m of html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
		const src = /src="([^"]+)"/.exec(m[1])?.[1];
		if (src) start.add(src);
		for (const i of m[2].matchAll(/import\(\s*["']([^"']+\.js)["']\s*\)/g)) start.add(i[1]);
	}
	const files = new Map();
	const visit = (file) => {
		const rel = relative(client, file);
		if (files.has(rel) || !existsSync(file)) return;
		const code = readFileSync(file);
		files.set(rel, code);
		for (const spec of staticImports(code.toString('utf8'))) if (spec.startsWith('.')) visit(normalize(join(dirname(file), spec)));
	};
	for (const href of start) visit(href.startsWith('/') ? join(client, href) : normalize(join(htmlDir, href)));
	let raw = 0;
	let gzip = 0;
	const ml = [];
	for (const [rel, code] of files) {
		raw += code.length;
		gzip += gzipSync(code).length;
		const text = code.toString('utf8');
		if (mlByManifest?.has(rel) || ML_CONTENT.some((re) => re.test(text))) ml.push(rel);
	}
	return { page: `/${page}`, files: files.size, rawBytes: raw, gzipBytes: gzip, mlChunks: ml };
}

// ---- 2. Lighthouse -----------------------------------------------------------------------------
const cleanups = [];
async function cleanup() {
	while (cleanups.length) await cleanups.pop()().catch(() => undefined);
}
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

const startServer = (dir) => startBuiltServer(dir, cleanups, 'bench-web');

/** Signs a volunteer in through the dev login; returns the session cookie. */
async function devSession(base) {
	const res = await fetch(`${base}/api/trpc/auth.devLogin`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-oasis-csrf': '1' }, body: JSON.stringify({ name: 'Bench' }) });
	const cookie = /oasis_session=[^;]*/.exec(res.headers.get('set-cookie') ?? '')?.[0];
	if (!res.ok || !cookie) throw new Error(`dev login failed (${res.status}): is OASIS_DEV_LOGIN on?`);
	return cookie;
}

async function lighthouseRuns(base) {
	const { default: lighthouse } = await import('lighthouse');
	const chromeLauncher = await import('chrome-launcher');
	const chrome = await chromeLauncher.launch({ chromePath: '/usr/bin/chromium', chromeFlags: CHROME_FLAGS });
	cleanups.push(async () => chrome.kill());
	const cookie = await devSession(base);
	const results = [];
	for (const path of LIGHTHOUSE_PAGES) {
		const t0 = Date.now();
		const r = await lighthouse(`${base}${path}`, { port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: ['performance', 'accessibility'], extraHeaders: { Cookie: cookie } });
		const lhr = r.lhr;
		const score = (c) => (lhr.categories[c]?.score == null ? null : Math.round(lhr.categories[c].score * 100));
		const metric = (id) => lhr.audits[id]?.numericValue ?? null;
		const failing = Object.values(lhr.audits)
			.filter((a) => a.score !== null && a.score < 1 && lhr.categories.accessibility.auditRefs.some((ref) => ref.id === a.id && ref.weight > 0))
			.map((a) => a.id);
		results.push({
			page: path,
			formFactor: lhr.configSettings.formFactor,
			performance: score('performance'),
			accessibility: score('accessibility'),
			fcpMs: Math.round(metric('first-contentful-paint')),
			lcpMs: Math.round(metric('largest-contentful-paint')),
			tbtMs: Math.round(metric('total-blocking-time')),
			cls: Math.round(metric('cumulative-layout-shift') * 1000) / 1000,
			accessibilityFailing: failing,
			// What moved (Lighthouse's layout-shift culprits, largest first).
			layoutShifts: (lhr.audits['layout-shifts']?.details?.items ?? []).slice(0, 3).map((i) => ({ score: Math.round((i.score ?? 0) * 1000) / 1000, node: i.node?.snippet ?? i.node?.selector ?? null })),
			// Where Lighthouse sees the time going (its opportunities, largest saving first).
			opportunities: Object.values(lhr.audits)
				.filter((a) => a.details?.type === 'opportunity' && (a.details.overallSavingsMs ?? 0) > 0)
				.sort((a, b) => b.details.overallSavingsMs - a.details.overallSavingsMs)
				.slice(0, 3)
				.map((a) => `${a.id}: ${Math.round(a.details.overallSavingsMs)} ms`),
			runtimeError: lhr.runtimeError?.message ?? null,
			seconds: Math.round((Date.now() - t0) / 100) / 10
		});
	}
	return results;
}

async function main() {
	const dir = BUILD ?? root;
	if (!BUILD && !flag('no-build')) await ensureBuild();
	if (!existsSync(join(dir, 'build', 'index.js'))) throw new Error(`no build in ${dir}: run without --no-build`);

	const mlByManifest = mlFilesFromManifest(dir);
	if (!mlByManifest) log('no Vite manifest next to the build: ML chunks are recognised by content only');
	const payloads = PAYLOAD_PAGES.map((p) => initialJs(dir, p, mlByManifest));
	for (const p of payloads) out({ kind: 'initial-js', ...p, aim: `< ${AIMS.initialJsGzipBytes} gzip bytes, no ML chunk` });

	let pages = [];
	if (!flag('no-lighthouse')) {
		const base = await startServer(dir);
		pages = await lighthouseRuns(base);
		for (const p of pages) out({ kind: 'lighthouse', ...p, aim: `performance ≥ ${AIMS.performance}, accessibility ≥ ${AIMS.accessibility}` });
	}
	const worst = payloads.reduce((a, b) => (b.gzipBytes > a.gzipBytes ? b : a));
	const summary = {
		summary: 'bench:web',
		initialJsMaxGzipBytes: worst.gzipBytes,
		initialJsMaxPage: worst.page,
		mlChunksInitially: [...new Set(payloads.flatMap((p) => p.mlChunks))],
		lighthouse: pages.map((p) => ({ page: p.page, performance: p.performance, accessibility: p.accessibility })),
		meetsAims:
			worst.gzipBytes < AIMS.initialJsGzipBytes &&
			payloads.every((p) => p.mlChunks.length === 0) &&
			pages.every((p) => (p.performance ?? 0) >= AIMS.performance && (p.accessibility ?? 0) >= AIMS.accessibility)
	};
	out(summary);
	console.error(
		[
			...payloads.map((p) => `${p.page}: initial JS ${(p.gzipBytes / 1024).toFixed(1)} KB gzip in ${p.files} files${p.mlChunks.length ? `, ML chunks: ${p.mlChunks.join(', ')}` : ', no ML chunk'}`),
			...pages.map((p) => `${p.page} (Lighthouse ${p.formFactor}): performance ${p.performance}, accessibility ${p.accessibility}`)
		].join('\n')
	);
}

await main().then(cleanup, async (e) => {
	await cleanup();
	console.error(e instanceof Error ? e.message : e);
	process.exitCode = 1;
});
// Lighthouse and chrome-launcher leave handles open for seconds after the run (spec/stack.md).
process.exit();
