import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
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

test('chat with the bundled model: stream, stop, regenerate, switch branches, reload', async ({ page }) => {
	await page.goto('/chat');
	await expect(page.getByTestId('engine-status')).toContainText('Model ready', { timeout: 45_000 });
	await page.getByRole('button', { name: 'New chat' }).click();
	// Long enough that the reply is still streaming when we stop it (random weights: gibberish).
	await setMaxTokens(page, 1500);
	await hotSampling(page);

	await page.getByLabel('Message', { exact: true }).fill('Hello, Oasis!');
	await page.getByLabel('Message', { exact: true }).press('Enter');
	const reply = assistant(page).first();
	await expect(reply).toHaveAttribute('data-state', 'streaming');
	await expect(reply).not.toHaveAttribute('data-chars', '0'); // tokens arrived while streaming
	await page.getByRole('button', { name: 'Stop' }).click();
	await expect(reply).toHaveAttribute('data-state', 'aborted');
	await expect(reply.getByTestId('message-note')).toHaveText('Stopped');
	await expect(reply.getByRole('button', { name: 'Continue' })).toBeVisible();
	// Random weights: the text is gibberish that may even render as nothing, so compare lengths too.
	const stoppedChars = (await reply.getAttribute('data-chars'))!;
	expect(Number(stoppedChars)).toBeGreaterThan(0);
	const stoppedText = await reply.getByTestId('message-text').innerText();

	await setMaxTokens(page, 8);
	await reply.getByRole('button', { name: 'Regenerate' }).click();
	await expect(page.getByTestId('branch-position')).toHaveText('2/2');
	await expect(assistant(page)).toHaveCount(1);
	await expect(assistant(page).first()).toHaveAttribute('data-state', /complete|length/);

	await page.getByRole('button', { name: 'Previous version' }).click();
	await expect(page.getByTestId('branch-position')).toHaveText('1/2');
	await expect(assistant(page).first()).toHaveAttribute('data-state', 'aborted');
	await expect(assistant(page).first()).toHaveAttribute('data-chars', stoppedChars);
	await expect(assistant(page).first().getByTestId('message-text')).toHaveText(stoppedText);

	await page.reload();
	await expect(page.getByRole('navigation', { name: 'Chats' }).getByRole('button', { name: 'Hello, Oasis!', exact: true })).toBeVisible();
	await expect(page.locator('[data-testid=message][data-role=user]')).toHaveText(/Hello, Oasis!/);
	await expect(page.getByTestId('branch-position')).toHaveText('1/2');
	await expect(assistant(page).first()).toHaveAttribute('data-chars', stoppedChars);
	await expect(assistant(page).first().getByTestId('message-text')).toHaveText(stoppedText);

	// Continue the stopped reply in place: it grows and stays the same version.
	await assistant(page).first().getByRole('button', { name: 'Continue' }).click();
	await expect(assistant(page).first()).toHaveAttribute('data-state', /complete|length/);
	expect(Number(await assistant(page).first().getAttribute('data-chars'))).toBeGreaterThanOrEqual(Number(stoppedChars));
	await expect(page.getByTestId('branch-position')).toHaveText('1/2');
	await page.getByRole('button', { name: 'Next version' }).click();
	await expect(page.getByTestId('branch-position')).toHaveText('2/2');
});

test('after one visit, the chat and the bundled model work with the network cut', async ({ page, context }) => {
	await page.goto('/chat');
	await page.waitForFunction(() => navigator.serviceWorker?.controller !== null, undefined, { timeout: 30_000 });
	// Under the service worker's control the engine chunks are cached as they load; the model
	// files go to Cache Storage on first load either way.
	await page.reload();
	await expect(page.getByTestId('engine-status')).toContainText('Model ready', { timeout: 45_000 });

	await context.setOffline(true);
	await page.reload();
	await expect(page.getByTestId('engine-status')).toContainText('Model ready', { timeout: 45_000 });
	await page.getByRole('button', { name: 'New chat' }).click();
	await setMaxTokens(page, 4);
	await page.getByLabel('Message', { exact: true }).fill('Are you there?');
	await page.getByRole('button', { name: 'Send' }).click();
	await expect(assistant(page).first()).toHaveAttribute('data-state', /complete|length/);
	await expect(page.getByTestId('engine-problem')).toHaveCount(0);

	// Phone-first and accessible: no sideways scrolling, no serious axe violations.
	await page.setViewportSize({ width: 390, height: 844 });
	expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
	const axe = await new AxeBuilder({ page }).analyze();
	expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
});
