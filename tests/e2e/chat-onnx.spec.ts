import { expect, test, type Page } from '@playwright/test';
import { hotSampling } from './helpers';

// The ONNX model, Transformers.js and onnxruntime-web's wasm all come from our own origin: any
// request elsewhere is refused and recorded, and the test fails if there was one.
let outside: string[] = [];
test.beforeEach(async ({ context }) => {
	outside = [];
	await context.route('**/*', (route) => {
		const url = route.request().url();
		if (new URL(url).hostname === '127.0.0.1') return route.continue();
		outside.push(url);
		return route.abort();
	});
});
test.afterEach(() => expect(outside).toEqual([]));

const assistant = (page: Page) => page.locator('[data-testid=message][data-role=assistant]');

async function setMaxTokens(page: Page, n: number) {
	const field = page.getByLabel('Max reply length (tokens)');
	if (!(await field.isVisible())) await page.getByText('Chat settings').click();
	await field.fill(String(n));
	await field.blur();
}

/** A new chat on `modelId`, a reply streamed and stopped; returns the stopped reply's length. */
async function streamAndStop(page: Page, modelId: string, adapter: RegExp, firstToken = 15_000): Promise<string> {
	await page.goto('/chat');
	await page.getByRole('button', { name: 'New chat' }).click();
	await page.getByLabel('Model', { exact: true }).selectOption(modelId);
	const status = page.getByTestId('engine-status');
	await expect(status).toContainText(`Model ready: ${modelId}`, { timeout: 40_000 });
	await expect(status).toContainText(adapter);
	await expect(page.getByTestId('engine-problem')).toHaveCount(0);
	await setMaxTokens(page, 1500);
	await hotSampling(page);

	await page.getByLabel('Message', { exact: true }).fill('Hello through ONNX!');
	await page.getByLabel('Message', { exact: true }).press('Enter');
	const reply = assistant(page).first();
	await expect(reply).toHaveAttribute('data-state', 'streaming');
	await expect(reply).not.toHaveAttribute('data-chars', '0', { timeout: firstToken }); // tokens arrive while streaming
	await page.getByRole('button', { name: 'Stop' }).click();
	await expect(reply).toHaveAttribute('data-state', 'aborted');
	await expect(reply.getByTestId('message-note')).toHaveText('Stopped');
	const stoppedChars = (await reply.getAttribute('data-chars'))!;
	expect(Number(stoppedChars)).toBeGreaterThan(0);
	return stoppedChars;
}

/** After a reload: the chat and its model are still there (and, if asked, the model loads again). */
async function expectKeptAfterReload(page: Page, modelId: string, waitReady: boolean) {
	await page.reload();
	await expect(page.getByLabel('Model', { exact: true })).toHaveValue(modelId);
	await expect(page.locator('[data-testid=message][data-role=user]')).toHaveText(/Hello through ONNX!/);
	if (waitReady) await expect(page.getByTestId('engine-status')).toContainText(`Model ready: ${modelId}`, { timeout: 40_000 });
}

/** Stream and stop, regenerate (a sibling), reload (the model loads again), switch back to the stopped reply. */
async function streamStopRegenerateReload(page: Page, modelId: string, adapter: RegExp, firstToken?: number) {
	const stoppedChars = await streamAndStop(page, modelId, adapter, firstToken);
	await setMaxTokens(page, 6);
	await assistant(page).first().getByRole('button', { name: 'Regenerate' }).click();
	await expect(page.getByTestId('branch-position')).toHaveText('2/2');
	await expect(assistant(page).first()).toHaveAttribute('data-state', /complete|length/, { timeout: 60_000 });

	await expectKeptAfterReload(page, modelId, true);
	await expect(page.getByTestId('branch-position')).toHaveText('2/2');
	await page.getByRole('button', { name: 'Previous version' }).click();
	await expect(assistant(page).first()).toHaveAttribute('data-state', 'aborted');
	await expect(assistant(page).first()).toHaveAttribute('data-chars', stoppedChars);
}

test('Transformers.js on WASM (CPU): stream, stop, regenerate, reload, switch branches', async ({ page }) => {
	await streamStopRegenerateReload(page, 'oasis-tiny-onnx-wasm', /WebAssembly/);
});

test('Transformers.js on WebGPU (4-bit, no shader-f16): stream, stop, regenerate, reload, switch branches', async ({ page }) => {
	// SwiftShader runs onnxruntime's WebGPU kernels slowly: the first token can take tens of
	// seconds on a busy 2-core machine (about 20 s for this whole test on a quiet one).
	test.setTimeout(180_000);
	await streamStopRegenerateReload(page, 'oasis-tiny-onnx', /q4/, 80_000);
});
