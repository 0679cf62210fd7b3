import { expect, test } from '@playwright/test';
import { devLogin, expectNoHorizontalScroll, expectNoSeriousA11yViolations, trpc } from './helpers';

test('leaderboard, statistics and contributions on a 360 px phone', async ({ browser }) => {
	const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
	const page = await context.newPage();

	// Signed out: contributions asks to sign in.
	await page.goto('/contributions');
	await expect(page.getByRole('heading', { name: 'My contributions' })).toBeVisible();
	await expect(page.getByRole('link', { name: 'Sign in' }).last()).toBeVisible();

	// Lena signs in and writes one prompt before any page asks for figures (they are cached for minutes).
	// In Esperanto: the suites share one server, and the English task queue must stay as other specs expect it.
	await trpc(page.request, 'auth.devLogin', { name: 'Lena' });
	const task = await trpc<{ id: string }>(page.request, 'tasks.request', { type: 'initial_prompt', lang: 'eo' });
	await trpc(page.request, 'tasks.ack', { taskId: task.id, frontendMessageId: 'community-1' });
	await trpc(page.request, 'tasks.submitReply', { taskId: task.id, clientId: 'community-1', text: 'What makes a good community leaderboard?' });

	await devLogin(page, 'Lena');
	await page.getByRole('link', { name: 'Leaderboard' }).click();
	await expect(page.getByRole('heading', { name: 'Leaderboard' })).toBeVisible();
	const total = page.getByRole('button', { name: 'All time' });
	await expect(total).toHaveAttribute('aria-pressed', 'true');
	await expect(page.getByTestId('my-row')).toContainText('Lena');
	await expect(page.getByRole('link', { name: 'Trollboard' })).toHaveCount(0);
	await expectNoHorizontalScroll(page);
	await expectNoSeriousA11yViolations(page);
	// Keyboard: switch to the week frame.
	await page.getByRole('button', { name: 'This week' }).focus();
	await page.keyboard.press('Enter');
	await expect(page.getByRole('button', { name: 'This week' })).toHaveAttribute('aria-pressed', 'true');
	await expect(total).toHaveAttribute('aria-pressed', 'false');
	await expect(page.getByTestId('my-row').or(page.getByTestId('leaderboard-empty'))).toBeVisible();

	await page.goto('/stats');
	await expect(page.getByRole('heading', { name: 'Statistics' })).toBeVisible();
	await expect(page.getByRole('heading', { name: 'Messages by language' })).toBeVisible();
	await expect(page.getByRole('heading', { name: 'Trees by state' })).toBeVisible();
	await expect(page.getByRole('rowheader', { name: 'eo' }).first()).toBeVisible();
	await expectNoHorizontalScroll(page);
	await expectNoSeriousA11yViolations(page);

	await page.goto('/contributions');
	await expect(page.getByRole('heading', { name: 'My contributions' })).toBeVisible();
	const mine = page.getByRole('list', { name: 'Your messages' });
	await expect(mine).toContainText('What makes a good community leaderboard?');
	await expect(mine).toContainText('Pending review');
	await expectNoHorizontalScroll(page);
	await expectNoSeriousA11yViolations(page);
	await context.close();
});

test('moderators see the trollboard link and page', async ({ browser }) => {
	const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
	const page = await context.newPage();
	await trpc(page.request, 'auth.devLogin', { name: 'Mona', role: 'moderator' });
	await page.goto('/leaderboard');
	await expect(page.getByRole('heading', { name: 'Leaderboard' })).toBeVisible();
	await page.getByRole('link', { name: 'Trollboard' }).click();
	await expect(page.getByRole('heading', { name: 'Trollboard' })).toBeVisible();
	await expect(page.getByRole('alert')).toHaveCount(0);
	await expect(page.getByRole('button', { name: 'All time' })).toHaveAttribute('aria-pressed', 'true');
	await expectNoHorizontalScroll(page);
	await context.close();
});
