import { expect, test, type APIRequestContext } from '@playwright/test';
import { expectNoHorizontalScroll, expectNoSeriousA11yViolations, trpc } from './helpers';

// Everything here happens in German ('de'): the suites share one server, and the English task
// queue must stay as the other specs expect it.

async function writePrompt(request: APIRequestContext, lang: string, text: string, clientId: string): Promise<void> {
	const task = await trpc<{ id: string }>(request, 'tasks.request', { type: 'initial_prompt', lang });
	await trpc(request, 'tasks.ack', { taskId: task.id, frontendMessageId: clientId });
	await trpc(request, 'tasks.submitReply', { taskId: task.id, clientId, text });
}

const PHONE = { viewport: { width: 360, height: 740 } };
const PROMPT = 'Wie backt man ein gutes Brot ohne Hefe?';
const REPLY = 'Mit einem Sauerteig: Mehl und Wasser, ein paar Tage lang gefüttert.';

test('settings: task language and leaderboard opt-out; the message browser and tree view', async ({ browser, request }) => {
	// A writer leaves a German prompt.
	await trpc(request, 'auth.devLogin', { name: 'Manage Writer' });
	await writePrompt(request, 'de', PROMPT, 'manage-1');

	const context = await browser.newContext(PHONE);
	const page = await context.newPage();
	const me = await trpc<{ user: { id: string } }>(page.request, 'auth.devLogin', { name: 'Manage Greta' });
	await writePrompt(page.request, 'de', 'Greta fragt: wie heißt der Bäcker?', 'manage-2');
	// Whether the cached total board already counts Greta (it does unless an earlier spec computed it before she wrote).
	const board = await trpc<{ userId: string }[]>(page.request, 'community.leaderboard', { frame: 'total' }, 'query');
	const counted = board.some((r) => r.userId === me.user.id);

	await page.goto('/settings');
	await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
	await expect(page.getByRole('link', { name: 'Moderation' })).toHaveCount(0); // moderators only
	await page.getByLabel('Language of your tasks').selectOption('de');
	await page.getByRole('button', { name: 'Save settings' }).click();
	await expect(page.getByText('Settings saved.')).toBeVisible();
	await expectNoHorizontalScroll(page);
	await expectNoSeriousA11yViolations(page);
	expect((await trpc<{ language: string }>(page.request, 'auth.me', null, 'query')).language).toBe('de');

	// The task page now hands out German tasks: the writer's prompt (Greta's own is never hers to label).
	await page.goto('/tasks/label_initial_prompt');
	await expect(page.getByRole('list', { name: 'Conversation' }).getByText(PROMPT)).toBeVisible();

	// Leaderboard opt-out.
	if (counted) {
		await page.goto('/leaderboard');
		await expect(page.getByTestId('my-row')).toBeVisible();
	}
	await page.goto('/settings');
	await page.getByLabel('Show me on the leaderboard').uncheck();
	await page.getByRole('button', { name: 'Save settings' }).click();
	await expect(page.getByText('Settings saved.')).toBeVisible();
	await page.goto('/leaderboard');
	await expect(page.getByRole('heading', { name: 'Leaderboard' })).toBeVisible();
	await expect(page.getByRole('status').filter({ hasText: 'Loading…' })).toHaveCount(0);
	await expect(page.getByTestId('my-row')).toHaveCount(0);
	expect((await trpc<{ userId: string }[]>(page.request, 'community.leaderboard', { frame: 'total' }, 'query')).some((r) => r.userId === me.user.id)).toBe(false);

	// The writer shares a German conversation with replies (after the label task above, so that
	// task could only be the writer's prompt).
	await trpc(request, 'messages.share', {
		clientId: 'manage-share-1',
		lang: 'de',
		turns: [
			{ role: 'prompter', text: 'Was ist ein Sauerteig?' },
			{ role: 'assistant', text: REPLY, modelName: 'test-model' },
			{ role: 'prompter', text: 'Danke, und wie lange hält er?' }
		]
	});

	// The message browser finds the shared reply by language, role and text.
	await page.getByRole('link', { name: 'Messages', exact: true }).click();
	await expect(page.getByRole('heading', { name: 'Messages' })).toBeVisible();
	await page.getByLabel('Language', { exact: true }).selectOption('de');
	await page.getByLabel('Written as').selectOption('assistant');
	await page.getByLabel('Text contains').fill('sauerteig');
	await page.getByRole('button', { name: 'Show messages' }).click();
	const found = page.getByRole('list', { name: 'Messages found' });
	await expect(found.getByRole('listitem')).toHaveCount(1);
	await expect(found).toContainText(REPLY);
	await expectNoHorizontalScroll(page);
	await expectNoSeriousA11yViolations(page);

	// The tree view: the prompt, the reply under it and the follow-up under that.
	await found.getByRole('link', { name: /^Open conversation/ }).click();
	await expect(page.getByRole('heading', { name: 'Conversation' })).toBeVisible();
	const tree = page.getByRole('region', { name: 'Messages of the conversation' });
	await expect(tree.getByRole('article')).toHaveCount(3);
	const root = tree.getByRole('article').filter({ hasText: 'Was ist ein Sauerteig?' });
	await expect(root).toBeVisible();
	const reply = page.locator('li[data-depth="1"] > article');
	await expect(reply).toContainText(REPLY);
	await expect(reply).toHaveAttribute('aria-current', 'true');
	await expect(reply).toContainText('synthetic · test-model');
	await expect(page.locator('li[data-depth="2"] > article')).toContainText('Danke, und wie lange hält er?');
	await expect(page.getByTestId('tree-state')).toContainText('reviewed');

	// Toggle +1 by keyboard, then −1 replaces it (they are exclusive), then take −1 back.
	const up = reply.getByRole('button', { name: /^Thumbs up/ });
	const down = reply.getByRole('button', { name: /^Thumbs down/ });
	await up.focus();
	await page.keyboard.press('Enter');
	await expect(up).toHaveAttribute('aria-pressed', 'true');
	await expect(up).toHaveAccessibleName('Thumbs up, 1');
	await down.click();
	await expect(down).toHaveAttribute('aria-pressed', 'true');
	await expect(up).toHaveAttribute('aria-pressed', 'false');
	await expect(up).toHaveAccessibleName('Thumbs up, 0');
	await down.click();
	await expect(down).toHaveAccessibleName('Thumbs down, 0');
	// The flag opens a report form.
	await reply.getByRole('button', { name: /^Report/ }).click();
	await expect(reply.getByRole('form', { name: 'Report this message' })).toBeVisible();
	await expectNoHorizontalScroll(page);
	await expectNoSeriousA11yViolations(page);
	await reply.getByRole('button', { name: 'Cancel' }).click();

	// A tree seen once opens without the server: the device keeps a copy.
	await page.route('**/api/trpc/**', (route) => route.abort());
	await page.reload();
	await expect(page.getByRole('status').filter({ hasText: 'copy kept on this device' })).toBeVisible();
	await expect(page.locator('li[data-depth="1"] > article')).toContainText(REPLY);
	await expect(page.locator('li[data-depth="1"] > article').getByRole('button', { name: /^Thumbs up/ })).toBeDisabled();
	await page.unroute('**/api/trpc/**');
	await context.close();
});

test('a moderator halts and resumes a tree, edits a message and bans a user', async ({ browser, request }) => {
	// Someone to ban, signed in through the API.
	await trpc(request, 'auth.devLogin', { name: 'Manage Troll' });
	const shared = await trpc<{ messageTreeId: string }>(request, 'messages.share', {
		clientId: 'manage-share-2',
		lang: 'de',
		turns: [
			{ role: 'prompter', text: 'Ist dies ein Test für Moderatoren?' },
			{ role: 'assistant', text: 'Ja, das ist ein Test.' }
		]
	});
	const tree = await trpc<{ messages: { id: string; role: string }[] }>(request, 'messages.tree', { id: shared.messageTreeId }, 'query');
	const replyId = tree.messages.find((m) => m.role === 'assistant')!.id;

	const context = await browser.newContext(PHONE);
	const page = await context.newPage();
	await trpc(page.request, 'auth.devLogin', { name: 'Manage Mod', role: 'moderator' });
	await page.goto('/admin');
	await expect(page.getByRole('heading', { name: 'Moderation' })).toBeVisible();
	await expect(page.getByRole('heading', { name: 'Flagged messages' })).toBeVisible();
	await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Moderation' })).toBeVisible();
	await expectNoHorizontalScroll(page);
	await expectNoSeriousA11yViolations(page);

	// Open the conversation by id; halt and resume its tree.
	await page.getByLabel('Open a conversation by message id').fill(replyId);
	await page.getByRole('button', { name: 'Open conversation' }).click();
	await expect(page.getByRole('heading', { name: 'Conversation' })).toBeVisible();
	await page.getByRole('button', { name: 'Halt tree' }).click();
	await expect(page.getByTestId('tree-state')).toHaveText('Halted by a moderator');
	await page.getByRole('button', { name: 'Resume tree' }).click();
	await expect(page.getByTestId('tree-state')).not.toHaveText('Halted by a moderator');
	await expect(page.getByRole('button', { name: 'Halt tree' })).toBeVisible();

	// Edit the reply; its earlier version is shown.
	const reply = page.getByTestId(`message-${replyId}`);
	await reply.getByRole('button', { name: 'Edit' }).click();
	await reply.getByLabel('New text').fill('Ja, das ist ein **bearbeiteter** Test.');
	await reply.getByRole('button', { name: 'Save edit' }).click();
	await expect(reply.locator('strong', { hasText: 'bearbeiteter' })).toBeVisible();
	await expect(reply.getByText('Edited', { exact: true })).toBeVisible();
	await expect(reply.getByRole('region', { name: 'Earlier versions' })).toContainText('Ja, das ist ein Test.');
	await expectNoHorizontalScroll(page);
	await expectNoSeriousA11yViolations(page);

	// Find the troll and ban them.
	await page.goto('/admin/users');
	await page.getByLabel('Name contains, or user id').fill('Manage Troll');
	await page.getByRole('button', { name: 'Find users' }).click();
	await page.getByRole('button', { name: 'Manage Manage Troll' }).click();
	await expect(page.getByRole('heading', { name: 'Manage Troll' })).toBeFocused();
	await page.getByRole('button', { name: 'Ban', exact: true }).click();
	await expect(page.getByTestId('user-role')).toHaveText('Banned');
	await expect(page.getByRole('button', { name: 'Unban' })).toBeVisible();
	await expect(page.getByRole('button', { name: 'Set role' })).toHaveCount(0); // moderators cannot set roles
	await expectNoHorizontalScroll(page);
	await expectNoSeriousA11yViolations(page);

	// The banned user is signed out; signing in again, they cannot take tasks.
	const gone = await request.get(`/api/trpc/auth.me`);
	expect((await gone.json()).result.data).toBeNull();
	await trpc(request, 'auth.devLogin', { name: 'Manage Troll' });
	const refused = await request.post('/api/trpc/tasks.request', { data: { type: 'initial_prompt', lang: 'de' }, headers: { 'x-oasis-csrf': '1' } });
	expect(refused.status()).toBe(403);
	expect((await refused.json()).error.data.rule).toBe('banned');

	// Unban again, so reruns start from the same place.
	await page.getByRole('button', { name: 'Unban' }).click();
	await expect(page.getByTestId('user-role')).toHaveText('Volunteer');
	await context.close();
});
