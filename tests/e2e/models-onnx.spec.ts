import { expect, test, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelEntry } from '../../web/lib/engine/catalogue';
import { startModelServer, type ModelServer } from '../../web/lib/engine/download/test-model-server';

// The generated ONNX model (fp32, for Transformers.js on WASM), served by a server this test runs
// on another port, in a folder as a CDN would serve it.
const DIR = 'public/models/oasis-tiny-onnx';
const FILES = ['config.json', 'generation_config.json', 'tokenizer_config.json', 'tokenizer.json', 'onnx/model.onnx'];
const files = new Map(FILES.map((path) => [path, new Uint8Array(readFileSync(join(DIR, path)))]));

let server: ModelServer;
test.beforeAll(async () => {
	server = await startModelServer(new Map([...files].map(([path, bytes]) => [`oasis-tiny-onnx/${path}`, bytes])));
});
test.afterAll(() => server?.close());

function servedEntry(): ModelEntry {
	const list = FILES.map((path) => ({ path, size: files.get(path)!.byteLength, sha256: createHash('sha256').update(files.get(path)!).digest('hex') }));
	return {
		id: 'oasis-tiny-onnx-served',
		name: 'Oasis tiny ONNX (test server)',
		engine: 'transformers',
		description: 'The generated ONNX model, downloaded from a local test server and run by Transformers.js on WASM.',
		license: 'Apache-2.0',
		sizeBytes: list.reduce((n, f) => n + f.size, 0),
		memoryBytes: 32 << 20,
		bundled: false,
		maxSeq: 2048,
		requires: { webgpu: false, shaderF16: false },
		url: `${server.url}oasis-tiny-onnx/`,
		files: list,
		transformers: { dtype: 'fp32', device: 'wasm' }
	};
}

const assistant = (page: Page) => page.locator('[data-testid=message][data-role=assistant]');

async function setMaxTokens(page: Page, n: number) {
	const field = page.getByLabel('Max reply length (tokens)');
	if (!(await field.isVisible())) await page.getByText('Chat settings').click();
	await field.fill(String(n));
	await field.blur();
}

test('download the ONNX model with progress, then chat with it through Transformers.js from the store, offline', async ({ page, context }) => {
	test.setTimeout(150_000);
	const entry = servedEntry();
	await context.addInitScript((entries) => Object.assign(window, { __oasisTestCatalogue: entries }), [entry]);
	page.on('dialog', (d) => void d.accept());
	// Requests to other hosts are refused and recorded; once the model is downloaded, so are the
	// test server's (another port on this host) and the app's own copy of the bundled model.
	const outside: string[] = [];
	const sameOrigin: string[] = [];
	let offline = false;
	const serverOrigin = new URL(server.url).origin;
	await context.route('**/*', (route) => {
		const url = new URL(route.request().url());
		if (url.origin === serverOrigin) {
			if (!offline) return route.continue();
			outside.push(url.href);
			return route.abort();
		}
		if (url.hostname !== '127.0.0.1') {
			outside.push(url.href);
			return route.abort();
		}
		if (offline) sameOrigin.push(url.pathname);
		return route.continue();
	});

	// 1. Download on the Models page, slow enough to watch the progress.
	await page.goto('/models');
	const card = page.locator(`[data-testid=model][data-model="${entry.id}"]`);
	await expect(card.getByRole('heading', { name: entry.name })).toBeVisible();
	await expect(card.getByTestId('runs-here')).toHaveText('Runs here');
	server.setPace(15);
	await card.getByRole('button', { name: `Download ${entry.name}` }).click();
	await expect(card.getByRole('progressbar', { name: `Download of ${entry.name}` })).toBeVisible();
	await expect(card.getByTestId('download-progress')).toContainText(/onnx\/model\.onnx \(5\/5\) · [\d.]+ [KM]B of 3\.5 MB/);
	await expect(card.getByTestId('download-status')).toHaveText('Downloaded and verified (3.5 MB)', { timeout: 30_000 });
	const gets = server.requests.filter((r) => r.method === 'GET').map((r) => r.path);
	expect(gets.sort()).toEqual(FILES.map((f) => `oasis-tiny-onnx/${f}`).sort());

	// 2. Offline from here on: the test server is gone and anything sent to it is refused.
	await server.close();
	offline = true;
	const requestsBefore = server.requests.length;

	// "Try it" on the card runs it in the engine worker, from the store.
	await card.getByRole('button', { name: `Try ${entry.name}` }).click();
	await expect(card.getByTestId('try-status')).toContainText(/Model ready: loaded from this device in \d+ ms on WebAssembly \(CPU\) · Transformers\.js fp32/, { timeout: 45_000 });

	// 3. A chat on the downloaded model: a reply streams from Transformers.js on WASM.
	await page.goto('/chat');
	await page.getByRole('button', { name: 'New chat' }).click();
	await page.getByLabel('Model', { exact: true }).selectOption(entry.id);
	const status = page.getByTestId('engine-status');
	await expect(status).toContainText(`Model ready: ${entry.id} on WebAssembly (CPU) · Transformers.js fp32`, { timeout: 45_000 });
	await expect(page.getByTestId('engine-problem')).toHaveCount(0);
	await setMaxTokens(page, 8);
	await page.getByLabel('Message', { exact: true }).fill('Hello from the store!');
	await page.getByLabel('Message', { exact: true }).press('Enter');
	const reply = assistant(page).first();
	await expect(reply).toHaveAttribute('data-state', /complete|length/, { timeout: 45_000 });
	expect(Number(await reply.getAttribute('data-chars'))).toBeGreaterThan(0);

	// 4. After a reload the chat is there and the model loads again, still with no network.
	await page.reload();
	await expect(page.getByLabel('Model', { exact: true })).toHaveValue(entry.id);
	await expect(page.locator('[data-testid=message][data-role=user]')).toHaveText(/Hello from the store!/);
	await expect(status).toContainText(`Model ready: ${entry.id}`, { timeout: 45_000 });

	expect(outside).toEqual([]);
	expect(server.requests.length).toBe(requestsBefore);
	// Read from this device's store, not from the app's bundled copy of the same model (the chat
	// page first loads its default model, the bundled oasis-tiny: those requests are its own).
	expect(sameOrigin.filter((p) => p.startsWith('/models/oasis-tiny-onnx/'))).toEqual([]);
	expect(page.workers().some((w) => w.url().includes('engine.worker'))).toBe(true);
});
