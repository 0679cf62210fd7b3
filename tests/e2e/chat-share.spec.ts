import { chromium, expect, test, type Page } from '@playwright/test';
import { chromiumLaunchOptions } from '../chromium';
import { hotSampling } from './helpers';

// Everything but the share request stays on this device; other origins are refused.
test.beforeEach(async ({ context }) => {
	await context.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()));
});

const assistant = (page: Page) => page.locator('[data-testid=message][data-role=assistant]');

async function startChat(page: Page, maxTokens: number, text: string) {
	await page.goto('/chat');
	await expect(page.getByTestId('engine-status')).toContainText('Model ready', { timeout: 30_000 });
	await page.getByRole('button', { name: 'New chat' }).click();
	await page.getByText('Chat settings').click();
	await page.getByLabel('Max reply length (tokens)').fill(String(maxTokens));
	await page.getByLabel('Max reply length (tokens)').blur();
	await hotSampling(page);
	await page.getByLabel('Message', { exact: true }).fill(text);
	await page.getByLabel('Message', { exact: true }).press('Enter');
}

interface TreeView {
	state: string;
	lang: string;
	messages: { role: string; text: string; synthetic: boolean; modelName: string | null; parentId: string | null }[];
}

test('thumbs persist across a reload; sharing after sign-in sends the branch with synthetic replies', async ({ page }) => {
	await startChat(page, 8, 'Hej Oasis, vad heter huvudstaden i Sverige?');
	const reply = assistant(page).first();
	await expect(reply).toHaveAttribute('data-state', /complete|length/);
	await expect(reply).not.toHaveAttribute('data-chars', '0');

	// Thumbs: one choice at a time, the same one again clears it; kept in IndexedDB.
	const good = reply.getByRole('button', { name: 'Good reply' });
	const bad = reply.getByRole('button', { name: 'Bad reply' });
	await good.click();
	await expect(good).toHaveAttribute('aria-pressed', 'true');
	await bad.click();
	await expect(bad).toHaveAttribute('aria-pressed', 'true');
	await expect(good).toHaveAttribute('aria-pressed', 'false');
	await page.reload();
	await expect(assistant(page).first().getByRole('button', { name: 'Bad reply' })).toHaveAttribute('aria-pressed', 'true');
	await assistant(page).first().getByRole('button', { name: 'Bad reply' }).click();
	await expect(assistant(page).first().getByRole('button', { name: 'Bad reply' })).toHaveAttribute('aria-pressed', 'false');
	await assistant(page).first().getByRole('button', { name: 'Good reply' }).click();
	await expect(assistant(page).first().getByRole('button', { name: 'Good reply' })).toHaveAttribute('aria-pressed', 'true');
	await page.reload();
	await expect(assistant(page).first().getByRole('button', { name: 'Good reply' })).toHaveAttribute('aria-pressed', 'true');
	await expect(assistant(page).first().getByRole('button', { name: 'Bad reply' })).toHaveAttribute('aria-pressed', 'false');
	const replyChars = Number(await assistant(page).first().getAttribute('data-chars'));

	// Signed out: the preview shows what would be sent and asks to sign in.
	await page.getByRole('button', { name: 'Share this conversation' }).click();
	const dialog = page.getByRole('dialog', { name: 'Share this conversation' });
	await expect(dialog.getByTestId('share-turn')).toHaveCount(2);
	await expect(dialog.getByTestId('share-turn').first()).toContainText('Hej Oasis, vad heter huvudstaden i Sverige?');
	await expect(dialog.getByTestId('share-turn').nth(1)).toContainText('synthetic, model oasis-tiny');
	await expect(dialog).toContainText('thumbs up/down stay on this device');
	await expect(dialog.getByRole('button', { name: 'Share', exact: true })).toBeDisabled();
	await dialog.getByRole('link', { name: 'Sign in' }).click();

	// Dev login brings the user back to the same chat.
	await page.getByLabel('Name').fill('Sigrid');
	await page.getByRole('button', { name: 'Sign in as this name' }).click();
	await expect(page).toHaveURL(/\/chat#/);
	await expect(page.locator('[data-testid=message][data-role=user]')).toHaveText(/huvudstaden i Sverige/);

	// A failed request says so in words and changes nothing; the retry shares once.
	await page.route('**/api/trpc/messages.share*', (route) => route.abort());
	await page.getByRole('button', { name: 'Share this conversation' }).click();
	await dialog.getByLabel('Language of the conversation').selectOption('sv');
	await dialog.getByRole('button', { name: 'Share', exact: true }).click();
	await expect(dialog.getByTestId('share-error')).toContainText('The server could not be reached.');
	await expect(page.getByTestId('chat-shared')).toHaveCount(0);
	await page.unroute('**/api/trpc/messages.share*');
	await dialog.getByRole('button', { name: 'Share', exact: true }).click();
	await expect(dialog.getByTestId('share-result')).toContainText('waiting for review');
	const treeId = (await dialog.getByTestId('share-result').locator('code').innerText()).trim();
	await dialog.getByRole('button', { name: 'Close' }).click();
	await expect(page.getByTestId('chat-shared')).toHaveText('Shared');

	const res = await page.request.get(`/api/trpc/messages.tree?input=${encodeURIComponent(JSON.stringify({ id: treeId }))}`);
	expect(res.ok()).toBe(true);
	const tree = (await res.json()).result.data as TreeView;
	expect(tree.state).toBe('initial_prompt_review');
	expect(tree.lang).toBe('sv');
	expect(tree.messages.map((m) => [m.role, m.synthetic, m.modelName])).toEqual([
		['prompter', false, null],
		['assistant', true, 'oasis-tiny']
	]);
	expect(tree.messages[0].text).toBe('Hej Oasis, vad heter huvudstaden i Sverige?');
	expect(tree.messages[1].text.length).toBe(replyChars);

	// Marked as shared on this device, across reloads.
	await page.reload();
	await expect(page.getByTestId('chat-shared')).toHaveText('Shared');
});

test('a GPU process crash during a reply keeps the chat and the partial reply, and the model reloads', async ({ baseURL }) => {
	// Its own browser: the crash takes down this browser's GPU process, not the other specs'.
	const browser = await chromium.launch(chromiumLaunchOptions);
	try {
		const context = await browser.newContext({ baseURL });
		await context.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()));
		const page = await context.newPage();
		await startChat(page, 1500, 'Tell me a long story.');
		const reply = assistant(page).first();
		await expect(reply).toHaveAttribute('data-state', 'streaming');
		await expect(reply).not.toHaveAttribute('data-chars', '0');

		// A real device loss: Chromium's DevTools protocol crashes the GPU process that serves WebGPU.
		const cdp = await browser.newBrowserCDPSession();
		await cdp.send('Browser.crashGpuProcess');

		await expect(reply).toHaveAttribute('data-state', 'error');
		const problem = page.getByTestId('engine-problem');
		await expect(problem).toContainText('device lost');
		await expect(reply.getByTestId('message-note')).toContainText('Your chat is saved');
		const partial = Number(await reply.getAttribute('data-chars'));
		expect(partial).toBeGreaterThan(0);

		// Recover without reloading the page: a fresh worker on a fresh device loads the model.
		await problem.getByRole('button', { name: 'Reload the model' }).click();
		await expect(page.getByTestId('engine-status')).toContainText('Model ready', { timeout: 30_000 });
		await expect(page.getByTestId('engine-problem')).toHaveCount(0);

		// After a reload everything is still there, the partial reply included.
		await page.reload();
		await expect(page.locator('[data-testid=message][data-role=user]')).toHaveText(/Tell me a long story\./);
		await expect(assistant(page).first()).toHaveAttribute('data-state', 'error');
		await expect(assistant(page).first()).toHaveAttribute('data-chars', String(partial));
		await expect(assistant(page).first().getByRole('button', { name: 'Regenerate' })).toBeEnabled();
	} finally {
		await browser.close();
	}
});
