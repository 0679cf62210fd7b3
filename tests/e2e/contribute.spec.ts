import { expect, test, type APIRequestContext, type Browser, type Page } from '@playwright/test';
import { devLogin, expectNoHorizontalScroll, expectNoSeriousA11yViolations, trpc } from './helpers';

/** Take a writing task of `kind` in the UI and send `text`. */
async function write(page: Page, kind: string, label: string, text: string) {
	await page.goto(`/tasks/${kind}`);
	await page.getByLabel(label).fill(text);
	await page.getByRole('button', { name: 'Send' }).click();
	await expect(page.getByTestId('outcome')).toContainText('reached the server');
}

/** Take a labelling task of `kind` in the UI and answer "not spam". */
async function labelNotSpam(page: Page, kind: string) {
	await page.goto(`/tasks/${kind}`);
	await page.getByRole('group', { name: /Is this spam/ }).getByText('No', { exact: true }).click();
	await page.getByRole('button', { name: 'Send labels' }).click();
	await expect(page.getByTestId('outcome')).toContainText('reached the server');
}

/**
 * Label the message that reads `text` as "not spam", skipping (with a reason, in the UI) tasks
 * about other messages that earlier tests left open.
 */
async function labelNotSpamOf(page: Page, kind: string, text: string) {
	for (let i = 0; i < 8; i++) {
		await page.goto(`/tasks/${kind}`);
		const conversation = page.getByRole('list', { name: 'Conversation' });
		await expect(conversation).toBeVisible();
		if ((await conversation.getByText(text).count()) > 0) {
			await page.getByRole('group', { name: /Is this spam/ }).getByText('No', { exact: true }).click();
			await page.getByRole('button', { name: 'Send labels' }).click();
			await expect(page.getByTestId('outcome')).toContainText('reached the server');
			return;
		}
		await page.getByRole('button', { name: 'Skip this task' }).click();
		await page.getByRole('button', { name: 'Skip with this reason' }).click();
		await expect(page.getByTestId('outcome')).toContainText('Skipped');
	}
	throw new Error(`no ${kind} task about “${text}”`);
}

async function newPhone(browser: Browser) {
	return browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
}

test('the landing page and sign-in pass axe with no serious or critical violations', async ({ page }) => {
	await page.goto('/');
	await expectNoSeriousA11yViolations(page);
	await page.getByRole('link', { name: 'Sign in' }).click();
	await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
	await expect(page.getByRole('button', { name: 'Sign in as this name' })).toBeVisible();
	await expectNoSeriousA11yViolations(page);
});

test('one volunteer writes a prompt (draft kept across a reload), another labels it', async ({ browser }) => {
	const alice = await browser.newContext({ viewport: { width: 360, height: 740 } });
	const a = await alice.newPage();
	await a.goto('/auth/signup');
	await a.getByLabel('Display name').fill('Alice');
	await a.getByLabel('Email').fill('alice@example.org');
	await a.getByLabel('Password').fill('a long enough password');
	await a.getByRole('button', { name: 'Create account' }).click();
	await expect(a.getByText('Hello, Alice.')).toBeVisible();

	// Nothing to label yet: the refusal is said in words, with what to do.
	await a.goto('/tasks/label_initial_prompt');
	await expect(a.getByRole('alert')).toContainText('There is no task of this kind right now. Try another kind of task');

	await a.goto('/tasks/initial_prompt');
	// Markdown is sanitised: no script, no event handlers.
	await a.getByLabel('Your prompt').fill('<img src="x" onerror="window.pwned=1"> <script>window.pwned=2</script> *fine*');
	await a.getByRole('button', { name: 'Preview' }).click();
	await expect(a.getByLabel('Preview').locator('em')).toHaveText('fine');
	expect(await a.getByLabel('Preview').locator('img[onerror], script').count()).toBe(0);
	expect(await a.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
	await a.getByRole('button', { name: 'Write' }).click();
	const prompt = 'How do I sum a list in **Python**?\n\n```python\nsum([1, 2, 3])\n```\n\nAnd what is $\\sum_{i=1}^{n} i$?';
	await a.getByLabel('Your prompt').fill(prompt);
	await expectNoHorizontalScroll(a);
	await a.waitForTimeout(400); // the draft is saved as the user types (debounced)
	await a.reload();
	await expect(a.getByLabel('Your prompt')).toHaveValue(prompt);
	await expect(a.getByText('Your draft was restored.')).toBeVisible();
	await a.getByRole('button', { name: 'Preview' }).click();
	const preview = a.getByLabel('Preview');
	await expect(preview.locator('strong')).toHaveText('Python');
	await expect(preview.locator('code.hljs.language-python')).toContainText('sum');
	await expect(preview.locator('.katex').first()).toBeVisible();
	await a.getByRole('button', { name: 'Write' }).click();
	await a.getByRole('button', { name: 'Send' }).click();
	await expect(a.getByTestId('outcome')).toContainText('reached the server');

	const bob = await browser.newContext();
	const b = await bob.newPage();
	await devLogin(b, 'Bob');
	await b.goto('/tasks/label_initial_prompt');
	await expect(b.getByRole('heading', { name: 'Label an initial prompt' })).toBeVisible();
	const message = b.getByRole('list', { name: 'Conversation' });
	await expect(message.locator('strong')).toHaveText('Python');
	await expect(message.locator('code.hljs')).toContainText('sum');
	await expectNoSeriousA11yViolations(b);

	// The required question is checked before anything is sent.
	await b.getByRole('button', { name: 'Send labels' }).click();
	await expect(b.getByRole('alert')).toContainText('Is this spam?');
	const spam = b.getByRole('group', { name: /Is this spam/ });
	await spam.getByLabel('No').check();
	const quality = b.getByRole('group', { name: 'Quality' });
	if (await quality.count()) {
		await quality.getByRole('radio', { name: '4 of 5' }).check();
		await expect(quality.getByRole('button', { name: 'Clear quality' })).toBeVisible();
	}
	await b.getByRole('button', { name: 'Send labels' }).click();
	await expect(b.getByTestId('outcome')).toContainText('reached the server');

	const mine = await trpc<{ id: string; reviewCount: number; review: string }[]>(a.request, 'community.myContributions', {}, 'query');
	expect(mine).toHaveLength(1);
	expect(mine[0].reviewCount).toBe(1);
	expect(mine[0].review).toBe('pending');
	await alice.close();
	await bob.close();
});

test('on a phone, 5 ranking and labelling tasks done offline reach the server exactly once after reopening', async ({ browser, playwright, baseURL }) => {
	// In Finnish, so the English queue other specs use stays as they expect. Small tree-manager
	// settings so two trees reach ranking quickly (restored at the end).
	const lang = 'fi';
	const admin = await playwright.request.newContext({ baseURL });
	await trpc(admin, 'auth.devLogin', { name: 'Admin', role: 'admin' });
	await trpc(admin, 'moderation.updateTreeSettings', { changes: { goal_tree_size: 3, num_reviews_initial_prompt: 1, num_reviews_reply: 1, num_required_rankings: 1 } });
	const people = await Promise.all(
		['Fia', 'Fred', 'Frida'].map(async (name) => {
			const r = await playwright.request.newContext({ baseURL });
			await trpc(r, 'auth.devLogin', { name });
			return r;
		})
	);
	const phone = await newPhone(browser);
	try {
		const [fia, fred, frida] = people;
		let n = 0;
		type Task = { id: string; payload: { messageId?: string; validLabels?: string[] } };
		const take = async (r: APIRequestContext, type: string) => {
			const task = await trpc<Task>(r, 'tasks.request', { type, lang });
			await trpc(r, 'tasks.ack', { taskId: task.id, frontendMessageId: `fi-${++n}` });
			return task;
		};
		const write = async (r: APIRequestContext, type: string, text: string) => {
			const task = await take(r, type);
			return (await trpc<{ messageId: string }>(r, 'tasks.submitReply', { taskId: task.id, clientId: `fi-${n}`, text })).messageId;
		};
		const label = async (r: APIRequestContext, type: string) => {
			const task = await take(r, type);
			const labels = Object.fromEntries((task.payload.validLabels ?? []).map((name) => [name, 0]));
			await trpc(r, 'tasks.submitLabels', { taskId: task.id, clientId: `fi-${n}`, messageId: task.payload.messageId, labels });
		};

		// Two trees waiting for a ranking, built one at a time through the API.
		const trees: string[] = [];
		for (const topic of ['sauna', 'järvi']) {
			const root = await write(fia, 'initial_prompt', `Kerro minulle jotain sanasta ${topic}.`);
			await label(fred, 'label_initial_prompt');
			await write(fred, 'assistant_reply', `${topic}: ensimmäinen vastaus.`);
			await write(frida, 'assistant_reply', `${topic}: toinen vastaus.`);
			await label(fia, 'label_assistant_reply');
			await label(fia, 'label_assistant_reply');
			const tree = await trpc<{ id: string; state: string }>(admin, 'messages.tree', { id: root }, 'query');
			expect(tree.state).toBe('ranking');
			trees.push(root);
		}
		// Three prompts waiting for labels.
		const prompts: string[] = [];
		for (let i = 0; i < 3; i++) prompts.push(await write(fia, 'initial_prompt', `Kysymys ${i}: miten keitetään puuroa?`));

		// Eve reads Finnish: her phone stocks two rankings and three labelling tasks online.
		let page = await phone.newPage();
		await trpc(page.request, 'auth.devLogin', { name: 'Eve' });
		await trpc(page.request, 'auth.updateSettings', { language: lang });
		await page.goto('/dashboard');
		await expect(page.getByTestId('stock')).toContainText('5 tasks are kept on this device');
		await page.waitForFunction(() => navigator.serviceWorker?.controller !== null, undefined, { timeout: 30_000 });
		await expectNoHorizontalScroll(page);

		await phone.setOffline(true);
		await page.getByRole('link', { name: 'Contribute' }).tap();
		const kinds: string[] = [];
		for (let i = 0; i < 5; i++) {
			const send = page.getByRole('button', { name: /^Send (ranking|labels)$/ });
			await expect(send).toBeVisible();
			if ((await send.innerText()).includes('ranking')) {
				kinds.push('rank');
				await expect(page.getByRole('list', { name: 'Replies, best first' }).locator(':scope > li')).toHaveCount(2);
			} else {
				kinds.push('label');
				await page.getByRole('group', { name: /Is this spam/ }).getByText('No', { exact: true }).tap();
			}
			await send.tap();
			await expect(page.getByTestId('outcome')).toContainText('Saved on this device');
			if (i < 4) await page.getByRole('button', { name: 'Next task' }).tap();
		}
		expect(kinds.sort()).toEqual(['label', 'label', 'label', 'rank', 'rank']);
		await page.getByRole('link', { name: 'Dashboard', exact: true }).first().tap();
		await expect(page.getByTestId('outbox-pending')).toContainText('5 answers are waiting to be sent');

		// Close the app, come back online, open it again.
		await page.close();
		await phone.setOffline(false);
		page = await phone.newPage();
		await page.goto('/dashboard');
		await expect(page.getByTestId('outbox-empty')).toBeVisible();
		await expect(page.getByTestId('outbox-sent')).toContainText('5 sent');
		// Flushing again sends nothing twice.
		await page.reload();
		await expect(page.getByTestId('outbox-sent')).toContainText('5 sent');
		for (const id of prompts) expect((await trpc<{ reviewCount: number }>(admin, 'messages.get', { id }, 'query')).reviewCount, id).toBe(1);
		for (const id of trees) {
			const tree = await trpc<{ state: string; messages: { rank: number | null; parentId: string | null }[] }>(admin, 'messages.tree', { id }, 'query');
			expect(tree.state).toBe('ready_for_export');
			expect(tree.messages.filter((m) => m.parentId !== null).map((m) => m.rank).sort()).toEqual([0, 1]);
		}
	} finally {
		await trpc(admin, 'moderation.updateTreeSettings', { changes: {}, reset: true });
		for (const r of people) await r.dispose();
		await admin.dispose();
		await phone.close();
	}
});

test('volunteers take one tree from prompt to ready for export in the UI; the ranking is done offline by touch', async ({ browser, playwright, baseURL }) => {
	// Small tree-manager settings for the test (restored at the end).
	const admin = await playwright.request.newContext({ baseURL });
	await trpc(admin, 'auth.devLogin', { name: 'Admin', role: 'admin' });
	await trpc(admin, 'moderation.updateTreeSettings', { changes: { goal_tree_size: 3, num_reviews_initial_prompt: 1, num_reviews_reply: 1, num_required_rankings: 1 } });
	try {
		const people = await Promise.all(['Ann', 'Ben', 'Cat'].map(async (name) => {
			const context = await browser.newContext();
			const page = await context.newPage();
			await devLogin(page, name);
			return { context, page };
		}));
		const [ann, ben, cat] = people.map((p) => p.page);
		const question = 'Which three things should I pack for a day hike?';
		await write(ann, 'initial_prompt', 'Your prompt', question);
		await labelNotSpamOf(ben, 'label_initial_prompt', question);
		await write(ben, 'assistant_reply', 'Your reply as the assistant', 'Water, a map and a rain jacket.');
		await write(cat, 'assistant_reply', 'Your reply as the assistant', 'Snacks, sunscreen and a first-aid kit.');
		await labelNotSpam(ann, 'label_assistant_reply');
		await labelNotSpam(ann, 'label_assistant_reply');
		const treeId = (await trpc<{ messageTreeId: string }[]>(ann.request, 'community.myContributions', {}, 'query'))[0].messageTreeId;
		expect((await trpc<{ state: string }>(admin, 'messages.tree', { id: treeId }, 'query')).state).toBe('ranking');

		// A fourth volunteer, on a phone, stocks tasks online and ranks offline.
		const phone = await newPhone(browser);
		let page = await phone.newPage();
		await devLogin(page, 'Dan');
		await expect(page.getByTestId('stock')).toContainText(/[1-9]\d* tasks? (is|are) kept/);
		await page.waitForFunction(() => navigator.serviceWorker?.controller !== null, undefined, { timeout: 30_000 });
		await phone.setOffline(true);
		await page.goto('/tasks/rank_assistant_replies');
		const items = page.getByRole('list', { name: 'Replies, best first' }).locator(':scope > li');
		await expect(items).toHaveCount(2);
		await expectNoHorizontalScroll(page);
		const first = (await items.nth(0).locator('.md').innerText()).trim();
		// Drag the second reply above the first with a finger (touch events through CDP).
		await items.nth(0).evaluate((el) => el.scrollIntoView({ block: 'start' }));
		const handle = (await items.nth(1).locator('.handle').boundingBox())!;
		const target = (await items.nth(0).locator('.handle').boundingBox())!;
		const cdp = await phone.newCDPSession(page);
		const at = (x: number, y: number) => [{ x: Math.round(x), y: Math.round(y) }];
		await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: at(handle.x + 10, handle.y + 10) });
		await page.waitForTimeout(300);

		for (let step = 1; step <= 10; step++) {
			const y = handle.y + 10 + ((target.y + target.height / 2 - handle.y - 10) * step) / 10;
			await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: at(handle.x + 10, y) });
			await page.waitForTimeout(30);
		}
		await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
		await expect(items.nth(1).locator('.md')).toHaveText(first);
		// Tap-to-order puts it back on top, then down again.
		await items.nth(1).getByRole('button', { name: /up$/ }).tap();
		await expect(items.nth(0).locator('.md')).toHaveText(first);
		await items.nth(0).getByRole('button', { name: /down$/ }).tap();
		await expect(items.nth(1).locator('.md')).toHaveText(first);
		const best = (await items.nth(0).locator('.md').innerText()).trim();
		await page.getByRole('button', { name: 'Send ranking' }).tap();
		await expect(page.getByTestId('outcome')).toContainText('Saved on this device');

		await page.close();
		await phone.setOffline(false);
		page = await phone.newPage();
		await page.goto('/dashboard');
		await expect(page.getByTestId('outbox-sent')).toContainText('sent');
		await expect(page.getByTestId('outbox-empty')).toBeVisible();
		const tree = await trpc<{ state: string; messages: { text: string; rank: number | null; parentId: string | null }[] }>(admin, 'messages.tree', { id: treeId }, 'query');
		expect(tree.state).toBe('ready_for_export');
		expect(tree.messages.find((m) => m.rank === 0)?.text).toBe(best);
		for (const p of people) await p.context.close();
		await phone.close();
	} finally {
		await trpc(admin, 'moderation.updateTreeSettings', { changes: {}, reset: true });
		await admin.dispose();
	}
});
