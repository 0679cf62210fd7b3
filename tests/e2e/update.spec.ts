import { expect, test } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A second server on its own port (the suite's server keeps E2E_PORT).
const PORT = Number(process.env.E2E_SPARE_PORT ?? 4180);

/** Serves a private copy of the build (inside the repo, so node_modules resolves). */
async function serve(dir: string, db: string): Promise<ChildProcess> {
	const child = spawn(process.execPath, [join(dir, 'index.js')], {
		env: { ...process.env, PORT: String(PORT), HOST: '127.0.0.1', DATABASE_URL: `sqlite:${db}` },
		stdio: 'ignore'
	});
	for (let i = 0; i < 100; i++) {
		try {
			if ((await fetch(`http://127.0.0.1:${PORT}/api/trpc/system.health`)).ok) return child;
		} catch {
			/* not up yet */
		}
		await new Promise((r) => setTimeout(r, 100));
	}
	child.kill();
	throw new Error('the copied build did not start');
}

async function stop(child: ChildProcess): Promise<void> {
	const exited = new Promise((r) => child.once('exit', r));
	child.kill();
	await exited;
}

test('a new service worker version is offered with "reload", and taking it reloads the page', async ({ page }) => {
	const dir = join('.test-output', `build-copy-${Date.now()}`);
	const dbDir = mkdtempSync(join(tmpdir(), 'oasis-update-'));
	cpSync('build', dir, { recursive: true });
	let server = await serve(dir, join(dbDir, 'db.sqlite'));
	try {
		await page.goto(`http://127.0.0.1:${PORT}/`);
		await page.waitForFunction(() => navigator.serviceWorker?.controller !== null, undefined, { timeout: 30_000 });
		await expect(page.getByText('A new version of Oasis is ready.')).toHaveCount(0);

		// Deploy "a new release": the same worker with different bytes, served by a restarted server.
		await stop(server);
		const sw = join(dir, 'client', 'sw.js');
		writeFileSync(sw, `${readFileSync(sw, 'utf8')}\n// next release\n`);
		for (const ext of ['.gz', '.br']) rmSync(sw + ext, { force: true }); // precompressed copies of the old bytes
		server = await serve(dir, join(dbDir, 'db.sqlite'));
		await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());

		const prompt = page.getByRole('status').filter({ hasText: 'A new version of Oasis is ready.' });
		await expect(prompt).toBeVisible({ timeout: 30_000 });
		const reloaded = page.waitForEvent('load');
		await prompt.getByRole('button', { name: 'Reload' }).click();
		await reloaded;
		await expect(prompt).toBeHidden();
		await page.waitForFunction(() => navigator.serviceWorker?.controller !== null);
		expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.waiting ?? null)).toBeNull();
	} finally {
		await stop(server);
		rmSync(dir, { recursive: true, force: true });
		rmSync(dbDir, { recursive: true, force: true });
	}
});

test('ML code is loaded lazily and kept out of the precache', async ({ page }) => {
	const manifest = JSON.parse(readFileSync('.svelte-kit/output/client/.vite/manifest.json', 'utf8'));
	const kernelChunk: string = manifest['web/lib/device/self-check.ts'].file;
	const sw = await (await page.request.get('/sw.js')).text();
	expect(sw).not.toContain(kernelChunk);

	const loaded: string[] = [];
	page.on('request', (r) => loaded.push(new URL(r.url()).pathname));
	await page.goto('/');
	await page.waitForLoadState('networkidle');
	expect(loaded.some((p) => p.endsWith(kernelChunk))).toBe(false);
	await page.goto('/device');
	await expect(page.getByTestId('self-check')).toBeVisible({ timeout: 60_000 });
	expect(loaded.some((p) => p.endsWith(kernelChunk))).toBe(true);
});
