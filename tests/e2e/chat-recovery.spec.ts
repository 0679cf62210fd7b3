import { expect, test, type Page, type Worker } from '@playwright/test';
import { hotSampling } from './helpers';

// Everything runs on this device: any request to another origin fails the chat.
test.beforeEach(async ({ context }) => {
	await context.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()));
});

const assistant = (page: Page) => page.locator('[data-testid=message][data-role=assistant]');

async function setMaxTokens(page: Page, n: number) {
	const field = page.getByLabel('Max reply length (tokens)');
	if (!(await field.isVisible())) await page.getByText('Chat settings').click();
	await field.fill(String(n));
	await field.blur();
}

async function engineWorker(page: Page): Promise<Worker> {
	await expect.poll(() => page.workers().some((w) => w.url().includes('engine.worker'))).toBe(true);
	return page.workers().find((w) => w.url().includes('engine.worker'))!;
}

/**
 * Inside the engine worker (Playwright runs this in the worker's own realm, where the engine's
 * GPUDevice lives): the next command encoder the engine asks for destroys its device first, so the
 * device is lost between two tokens of the reply being generated. Test code only: the app has no
 * hook for this.
 */
function loseDeviceOnNextEncoder() {
	const proto = GPUDevice.prototype;
	const original = proto.createCommandEncoder;
	proto.createCommandEncoder = function (this: GPUDevice, descriptor?: GPUCommandEncoderDescriptor) {
		proto.createCommandEncoder = original;
		this.destroy();
		return original.call(this, descriptor);
	};
}

test('the engine loses its GPU device mid-reply: the chat and the partial reply are kept, reload recovers', async ({ page }) => {
	test.setTimeout(120_000);
	await page.goto('/chat');
	await expect(page.getByTestId('engine-status')).toContainText('Model ready', { timeout: 45_000 });
	await page.getByRole('button', { name: 'New chat' }).click();
	await setMaxTokens(page, 1500); // long enough to still be streaming when the device goes
	await hotSampling(page);
	await page.getByLabel('Message', { exact: true }).fill('Tell me a long story.');
	await page.getByLabel('Message', { exact: true }).press('Enter');
	const reply = assistant(page).first();
	await expect(reply).toHaveAttribute('data-state', 'streaming');
	await expect(reply).not.toHaveAttribute('data-chars', '0');

	await (await engineWorker(page)).evaluate(loseDeviceOnNextEncoder);

	// The reply stops with what it had, marked; the page offers a way on instead of freezing.
	await expect(reply).toHaveAttribute('data-state', 'error');
	const problem = page.getByTestId('engine-problem');
	await expect(problem).toContainText('device lost');
	await expect(reply.getByTestId('message-note')).toContainText('Your chat is saved');
	await expect(problem.getByRole('button', { name: 'Reload the model' })).toBeVisible();
	await expect(problem.getByRole('button', { name: 'Reload the page' })).toBeVisible();
	const partial = (await reply.getAttribute('data-chars'))!;
	expect(Number(partial)).toBeGreaterThan(0);

	// Reload the page: the chat, the prompt and the partial reply are all there.
	await problem.getByRole('button', { name: 'Reload the page' }).click();
	await expect(page.locator('[data-testid=message][data-role=user]')).toHaveText(/Tell me a long story\./);
	await expect(assistant(page).first()).toHaveAttribute('data-state', 'error');
	await expect(assistant(page).first()).toHaveAttribute('data-chars', partial);
	// A fresh worker on a fresh device: the model loads and the reply can be generated again.
	await expect(page.getByTestId('engine-status')).toContainText('Model ready', { timeout: 45_000 });
	await expect(page.getByTestId('engine-problem')).toHaveCount(0);
	await setMaxTokens(page, 8);
	await assistant(page).first().getByRole('button', { name: 'Regenerate' }).click();
	await expect(page.getByTestId('branch-position')).toHaveText('2/2');
	await expect(assistant(page).first()).toHaveAttribute('data-state', /complete|length/, { timeout: 45_000 });
	await page.getByRole('button', { name: 'Previous version' }).click();
	await expect(assistant(page).first()).toHaveAttribute('data-chars', partial);
});
