import { expect, test } from '@playwright/test';

test('the landing page and the API answer from one process', async ({ page }) => {
	await page.goto('/');
	await expect(page.getByRole('heading', { level: 1 })).toContainText('open assistant');
	await page.getByRole('link', { name: 'Status' }).click();
	const health = page.getByTestId('health');
	await expect(health).toContainText('sqlite');
	await expect(health).toContainText('applied');
});

test('the web manifest makes the app installable', async ({ page, request }) => {
	await page.goto('/');
	const href = await page.locator('link[rel=manifest]').getAttribute('href');
	expect(href).toBeTruthy();
	const manifest = await (await request.get(href!)).json();
	expect(manifest.display).toBe('standalone');
	expect(manifest.start_url).toBe('/');
	const sizes = manifest.icons.map((i: { sizes: string }) => i.sizes);
	expect(sizes).toContain('192x192');
	expect(sizes).toContain('512x512');
	for (const icon of manifest.icons) {
		const res = await request.get(icon.src);
		expect(res.status(), icon.src).toBe(200);
		expect(res.headers()['content-type']).toContain('image/png');
	}
});

test('the service worker controls the page and the shell reloads with the network cut', async ({ page, context }) => {
	await page.goto('/');
	// The first install claims the open page (clientsClaim), so no second visit is needed.
	await page.waitForFunction(() => navigator.serviceWorker?.controller !== null, undefined, { timeout: 30_000 });
	const scriptURL = await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL);
	expect(scriptURL).toMatch(/\/sw\.js$/);

	await context.setOffline(true);
	await page.reload();
	await expect(page.getByRole('heading', { level: 1 })).toContainText('open assistant');
	await expect(page.getByRole('status').filter({ hasText: 'Offline' })).toBeVisible();

	// A route never visited before is served from the precached shell too.
	await page.goto('/status');
	await expect(page.getByRole('heading', { name: 'Server status' })).toBeVisible();
	await expect(page.getByRole('alert')).toContainText('offline');
	await context.setOffline(false);
});
