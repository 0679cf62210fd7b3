// `npm test`: set up what is missing, then run every suite and end with one line
// "N passed, N failed" that counts them all. Exits non-zero if anything failed.
//
// Suites: typecheck (svelte-check, tsc) · lint · unit · integration (SQLite and a real
// PostgreSQL started here) · kernels (real WebGPU in Node on lavapipe) · kernels-browser (the
// same kernel tests in Chromium on SwiftShader) · e2e (Playwright in Debian Chromium against the
// built app).
// `npm test -- unit kernels` runs only the named suites.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuild, log, root, run } from './lib.mjs';
import { setup } from './setup.mjs';
import { freePort, startPostgres } from './postgres.mjs';

const out = join(root, '.test-output');
mkdirSync(out, { recursive: true });
for (const suite of ['unit', 'integration', 'kernels', 'kernels-browser', 'e2e']) rmSync(join(out, `${suite}.json`), { force: true });

const started = Date.now();
const results = [];
const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const wanted = (name) => only.length === 0 || only.includes(name);

function record(suite, passed, failed, seconds, note = '') {
	results.push({ suite, passed, failed, seconds, note });
	log(`── ${suite}: ${passed} passed, ${failed} failed (${seconds.toFixed(1)} s)${note ? ` — ${note}` : ''}`);
}

async function timed(fn) {
	const t = Date.now();
	const value = await fn();
	return [value, (Date.now() - t) / 1000];
}

/** A check that counts as one test: it passes when the command exits 0. */
async function check(suite, cmd, args) {
	log(`▶ ${suite}`);
	const [code, s] = await timed(() => run(cmd, args));
	record(suite, code === 0 ? 1 : 0, code === 0 ? 0 : 1, s);
}

function readJson(path) {
	try {
		return JSON.parse(readFileSync(path, 'utf8'));
	} catch {
		return null;
	}
}

async function vitest(project, env = {}) {
	log(`▶ ${project}`);
	const file = join(out, `${project}.json`);
	const [code, s] = await timed(() =>
		run('npx', ['vitest', 'run', '--project', project, '--reporter=default', '--reporter=json', `--outputFile.json=${file}`], {
			env: { ...process.env, ...env }
		})
	);
	const report = readJson(file);
	if (!report) return record(project, 0, 1, s, `vitest exited ${code} without a report`);
	const failed = report.numFailedTests + (code !== 0 && report.numFailedTests === 0 ? 1 : 0);
	record(project, report.numPassedTests, failed, s, code !== 0 && report.numFailedTests === 0 ? `vitest exited ${code} (a suite failed to load)` : '');
}

async function playwright() {
	log('▶ e2e');
	const file = join(out, 'e2e.json');
	// Free ports, so a dev server or another run on the machine cannot collide with this one.
	const [port, spare] = [await freePort(), await freePort()];
	const env = { ...process.env, PLAYWRIGHT_JSON_OUTPUT_NAME: file, E2E_PORT: String(port), E2E_SPARE_PORT: String(spare) };
	const [code, s] = await timed(() => run('npx', ['playwright', 'test'], { env }));
	const report = readJson(file);
	if (!report) return record('e2e', 0, 1, s, `playwright exited ${code} without a report`);
	const { expected = 0, unexpected = 0, flaky = 0 } = report.stats ?? {};
	const failed = unexpected + (code !== 0 && unexpected === 0 ? 1 : 0);
	record('e2e', expected + flaky, failed, s, flaky ? `${flaky} flaky` : '');
}

try {
	await setup();
	if (wanted('typecheck')) {
		await run('npx', ['svelte-kit', 'sync']);
		await check('svelte-check', 'npx', ['svelte-check', '--tsconfig', './tsconfig.json', '--threshold', 'error', '--fail-on-warnings=false']);
		await check('tsc', 'npx', ['tsc', '-p', 'tsconfig.node.json', '--noEmit']);
	}
	if (wanted('lint')) await check('lint', 'npx', ['eslint', '.']);
	if (wanted('unit')) await vitest('unit');
	if (wanted('integration')) {
		let pg;
		try {
			pg = await startPostgres();
			await vitest('integration', { TEST_POSTGRES_URL: pg.url });
		} catch (error) {
			record('integration', 0, 1, 0, `PostgreSQL: ${error.message}`);
		} finally {
			pg?.stop();
		}
	}
	if (wanted('kernels')) await vitest('kernels');
	if (wanted('kernels-browser')) await vitest('kernels-browser');
	if (wanted('e2e')) {
		await ensureBuild();
		await playwright();
	}
} catch (error) {
	log(`Test run aborted: ${error.stack ?? error.message}`);
	record('setup', 0, 1, 0, error.message);
}

const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
console.log('\nSuite            passed  failed  seconds');
for (const r of results) console.log(`${r.suite.padEnd(16)} ${String(r.passed).padStart(6)}  ${String(r.failed).padStart(6)}  ${r.seconds.toFixed(1).padStart(7)}`);
console.log(`Total time ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || results.length === 0 ? 1 : 0);
