import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelEntry } from '../../web/lib/engine/catalogue';
import { startModelServer, type ModelServer } from '../../web/lib/engine/download/test-model-server';

// The bundled model's files, served by a server this test runs (another origin, with Range).
const DIR = 'public/models/oasis-tiny';
const ORDER = ['config.json', 'generation_config.json', 'tokenizer_config.json', 'model.safetensors', 'tokenizer.json'];
const files = new Map(ORDER.map((name) => [name, new Uint8Array(readFileSync(join(DIR, name)))]));
const CUT_AT = 1_500_000;

let server: ModelServer;
test.beforeAll(async () => {
	// Every file the model needs (its README and training metrics are documentation).
	expect(readdirSync(DIR).filter((n) => n !== 'README.md' && n !== 'metrics.json').sort()).toEqual([...ORDER].sort());
	server = await startModelServer(files);
});
test.afterAll(() => server?.close());

function servedEntry(url: string): ModelEntry {
	const list = ORDER.map((path) => ({ path, size: files.get(path)!.byteLength, sha256: createHash('sha256').update(files.get(path)!).digest('hex') }));
	return {
		id: 'oasis-tiny-served',
		name: 'Oasis tiny (test server)',
		engine: 'oasis',
		description: 'The bundled model, downloaded from a local test server.',
		license: 'Apache-2.0',
		sizeBytes: list.reduce((n, f) => n + f.size, 0),
		memoryBytes: 24 << 20,
		bundled: false,
		maxSeq: 2048,
		requires: { webgpu: true, shaderF16: false },
		url,
		files: list
	};
}

test('download with progress, resume after a cut and a reload, refetch a corrupted file, then load with no network', async ({ page, context }) => {
	const entry = servedEntry(server.url);
	await context.addInitScript((entries) => Object.assign(window, { __oasisTestCatalogue: entries }), [entry]);
	page.on('dialog', (d) => void d.accept());

	await page.goto('/models');
	const card = page.locator(`[data-testid=model][data-model="${entry.id}"]`);
	await expect(card.getByRole('heading', { name: entry.name })).toBeVisible();
	await expect(card.getByTestId('runs-here')).toHaveText('Runs here');
	await expect(page.getByTestId('storage')).toContainText('used of');
	// WebLLM entries are listed with what they need (SwiftShader has no shader-f16).
	await expect(page.locator('[data-model="SmolLM2-360M-Instruct-q4f16_1-MLC"]').getByTestId('runs-here')).toContainText('Needs shader-f16');

	// 1. Slow enough to watch; the connection drops part-way through the weights.
	server.setPace(40); // ~1.6 MB/s: the cut comes after about a second, once speed is measured
	server.cutOnce('model.safetensors', CUT_AT);
	server.corruptOnce('tokenizer.json', 100);
	await card.getByRole('button', { name: `Download ${entry.name}` }).click();
	await expect(card.getByRole('progressbar', { name: `Download of ${entry.name}` })).toBeVisible();
	await expect(card.getByTestId('download-progress')).toContainText(/model\.safetensors \(4\/5\) · [\d.]+ [KM]B of 3.5 MB · [\d.]+ [KM]B\/s · \d+ s left/);
	await expect(card.getByRole('alert')).toContainText('The connection dropped while fetching model.safetensors');
	await expect(card.getByTestId('download-status')).toContainText(/Partly downloaded: [\d.]+ MB of 3.5 MB kept/);

	// 2. The kept bytes survive a reload; Resume asks only for the rest.
	await page.reload();
	await expect(card.getByTestId('download-status')).toContainText(/Partly downloaded: [\d.]+ MB of 3.5 MB kept/);
	server.setPace(0);
	await card.getByRole('button', { name: `Resume ${entry.name}` }).click();
	await expect(card.getByTestId('download-status')).toHaveText('Downloaded and verified (3.5 MB)', { timeout: 20_000 });
	await expect(card.getByTestId('download-note')).toHaveText([/^Resuming model\.safetensors from [\d.]+ MB\.$/, 'tokenizer.json arrived damaged (SHA-256 mismatch); it was discarded and is being fetched again.']);

	const gets = (path: string) => server.requests.filter((r) => r.method === 'GET' && r.path === path).map((r) => r.range);
	const weights = gets('model.safetensors');
	expect(weights).toHaveLength(2);
	expect(weights[0]).toBeNull();
	const resumedFrom = Number(/^bytes=(\d+)-$/.exec(weights[1] ?? '')?.[1]);
	expect(resumedFrom).toBeGreaterThan(0);
	expect(resumedFrom).toBeLessThanOrEqual(CUT_AT);
	expect(gets('tokenizer.json')).toEqual([null, null]); // corrupted, discarded, fetched whole again
	expect(gets('config.json')).toEqual([null]); // verified once, never fetched again

	// 3. Phone width, keyboard-reachable controls, no serious axe violations.
	await page.setViewportSize({ width: 360, height: 800 });
	expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
	const tryIt = card.getByRole('button', { name: `Try ${entry.name}` });
	await tryIt.focus();
	await expect(tryIt).toBeFocused();
	const axe = await new AxeBuilder({ page }).analyze();
	expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);

	// 4. Network to the model server cut: the engine loads the model from this device's store.
	await server.close();
	let blocked = 0;
	await context.route(`${server.url}**`, (route) => (blocked++, route.abort()));
	const requestsBefore = server.requests.length;
	await page.keyboard.press('Enter');
	await expect(card.getByTestId('try-status')).toContainText('Model ready: loaded from this device', { timeout: 45_000 });
	// It ran in the engine worker (the one the chat uses), which found the model in the store.
	expect(page.workers().some((w) => w.url().includes('engine.worker'))).toBe(true);
	expect(blocked).toBe(0);
	expect(server.requests.length).toBe(requestsBefore);

	// 5. Delete frees it; the card offers the download again.
	await card.getByRole('button', { name: `Delete ${entry.name}` }).click();
	await expect(card.getByTestId('download-message')).toHaveText(`${entry.name} was deleted from this device.`);
	await expect(card.getByRole('button', { name: `Download ${entry.name}` })).toBeVisible();
});
