import { expect, test } from '@playwright/test';

test('the kernels run on the browser WebGPU adapter and match their CPU references', async ({ page }) => {
	await page.goto('/device');
	await expect(page.getByTestId('self-check')).toHaveText('All kernels match their CPU references.', { timeout: 60_000 });
	// Headless Chromium here runs on SwiftShader: no shader-f16, so the page says models run in f32.
	await expect(page.getByTestId('f16')).toContainText(/yes|no/);
	await expect(page.getByRole('cell', { name: 'match', exact: true })).toHaveCount(3);
});
