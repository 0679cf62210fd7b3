/**
 * The contribution flow in German: landing, sign-in, dashboard, every task page, settings (with
 * the interface-language picker); a prompt written and sent by keyboard, and labelled by a second
 * volunteer, with the German texts and no English left. Task language 'pl' keeps these tasks out
 * of the other specs' queues.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { expectNoHorizontalScroll, expectNoSeriousA11yViolations, trpc } from './helpers';

/** A phone-sized page whose interface is German from the first navigation. */
async function germanPage(browser: Browser): Promise<Page> {
	const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
	await context.addInitScript(() => localStorage.setItem('oasis.locale', 'de'));
	return context.newPage();
}

/** German, fits 360 px, passes axe, and none of `english` is on the page. */
async function expectGermanPage(page: Page, english: string[]) {
	await expect(page.locator('html')).toHaveAttribute('lang', 'de');
	for (const text of english) await expect(page.getByText(text, { exact: true }), text).toHaveCount(0);
	await expectNoHorizontalScroll(page);
	await expectNoSeriousA11yViolations(page);
}

/** The development login, in German; ends on the dashboard. */
async function devLoginGerman(page: Page, name: string) {
	await page.goto('/auth/signin');
	await expect(page.getByRole('heading', { name: 'Anmelden' })).toBeVisible();
	await page.getByLabel('Name', { exact: true }).fill(name);
	await page.getByRole('button', { name: 'Mit diesem Namen anmelden' }).click();
	await expect(page.getByRole('heading', { name: 'Übersicht' })).toBeVisible();
}

/** Set the task language to Swedish on the settings page. */
async function chooseSwedishTasks(page: Page) {
	await page.goto('/settings');
	const select = page.getByLabel('Sprache deiner Aufgaben');
	await expect(select.locator('option[value="pl"]')).toHaveText('Polnisch (Polski) [pl]');
	await select.selectOption('pl');
	await page.getByRole('button', { name: 'Einstellungen speichern' }).click();
	await expect(page.getByRole('status').filter({ hasText: 'Einstellungen gespeichert.' })).toBeVisible();
}

const TITLES: Record<string, string> = {
	random: 'Beliebige Aufgabe',
	prompter_reply: 'Als Nutzer antworten',
	assistant_reply: 'Als Assistent antworten',
	rank_prompter_replies: 'Nutzerantworten einordnen',
	rank_assistant_replies: 'Assistentenantworten einordnen',
	label_initial_prompt: 'Einen ersten Prompt bewerten',
	label_prompter_reply: 'Eine Nutzerantwort bewerten',
	label_assistant_reply: 'Eine Assistentenantwort bewerten'
};

test.describe.configure({ mode: 'serial' });

/** The volunteer the first test signs up (task language Swedish), and the prompt the second writes for the third to label. */
const writer = `Lena ${Date.now()}`;
let prompt = '';

/** A German page signed in as `name` (development login) with Swedish tasks, set through the API. */
async function signedInGerman(browser: Browser, name: string): Promise<Page> {
	const page = await germanPage(browser);
	await trpc(page.request, 'auth.devLogin', { name });
	await trpc(page.request, 'auth.updateSettings', { language: 'pl' });
	return page;
}

test('landing, sign-in, dashboard and settings in German', async ({ browser }) => {
	const page = await germanPage(browser);

	await page.goto('/');
	await expect(page.getByRole('heading', { level: 1, name: 'Ein offener Assistent, von Menschen gebaut, läuft auf deinem Gerät' })).toBeVisible();
	await expect(page).toHaveTitle('Oasis – ein offener Assistent, von Menschen gebaut, läuft in deinem Browser');
	await expectGermanPage(page, ['Chat privately', 'Lend your GPU', 'Check what your device can do.']);

	await page.goto('/auth/signin');
	await expect(page.getByRole('heading', { name: 'Entwicklungsanmeldung' })).toBeVisible();
	await expect(page.getByLabel('Passwort')).toBeVisible();
	await expectGermanPage(page, ['Sign in as this name', 'Create an account', 'Development login']);

	await devLoginGerman(page, writer);
	await expect(page.getByText(`Hallo, ${writer}.`)).toBeVisible();
	await expect(page.getByRole('heading', { name: 'Deine Antworten auf diesem Gerät' })).toBeVisible();
	await expect(page.getByTestId('stock')).toContainText(/Aufgaben? (liegt|liegen) auf diesem Gerät bereit/);
	await expectGermanPage(page, ['Your answers on this device', 'Everything you answered has reached the server.']);

	await chooseSwedishTasks(page);
	await expect(page.getByRole('heading', { name: 'Sprache der Oberfläche' })).toBeVisible();
	await expect(page.locator('#settings-locale')).toHaveValue('de');
	await expectGermanPage(page, ['Language of your tasks', 'Save settings', 'Delete your account']);
	await page.context().close();
});

test('every task page in German, and a prompt written and sent by keyboard', async ({ browser }) => {
	const page = await signedInGerman(browser, writer);

	// Every other task page: a German title, and German words when there is no task in Swedish.
	for (const [kind, title] of Object.entries(TITLES)) {
		await page.goto(`/tasks/${kind}`);
		// "Any task" may hand out a prompt to write: the heading then names that task.
		const heading = kind === 'random' ? new RegExp(`^(${title}|Einen ersten Prompt schreiben)$`) : title;
		await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
		await expect(page.getByText(/Aufgabe wird geholt/)).toHaveCount(0);
		if (kind !== 'random') await expect(page.getByRole('alert')).toContainText('Gerade gibt es keine Aufgabe dieser Art.');
	}
	await expectGermanPage(page, ['There is no task of this kind right now.']);

	// Write a prompt by keyboard only.
	await page.goto('/tasks/initial_prompt');
	await expect(page.getByRole('heading', { level: 1, name: 'Einen ersten Prompt schreiben' })).toBeVisible();
	const editor = page.getByLabel('Dein Prompt');
	await expect(editor).toBeVisible();
	await expect(page.getByText(/^0 \/ 2000 Zeichen$/)).toBeVisible();
	await expectGermanPage(page, ['Your prompt', 'Skip this task', 'Preview']);
	await editor.focus();
	prompt = `Hur kokar man gröt? (${Date.now()})`;
	await page.keyboard.type(prompt);
	await page.keyboard.press('Tab');
	await expect(page.getByRole('button', { name: 'Senden', exact: true })).toBeFocused();
	await page.keyboard.press('Enter');
	await expect(page.getByTestId('outcome')).toContainText('Danke! Deine Antwort ist beim Server angekommen.');
	await expect(page.getByRole('button', { name: 'Nächste Aufgabe' })).toBeVisible();
	await expect(page.getByText('Thank you! Your answer reached the server.')).toHaveCount(0);
	await page.context().close();
});

test('a second German volunteer labels that prompt with the German label set', async ({ browser }) => {
	expect(prompt, 'the first test wrote a prompt').not.toBe('');
	const second = await signedInGerman(browser, `Jonas ${Date.now()}`);
	await second.goto('/tasks/label_initial_prompt');
	await expect(second.getByRole('list', { name: 'Unterhaltung' })).toContainText(prompt);
	const spam = second.getByRole('group', { name: /Ist das Spam\?/ });
	await expect(spam).toContainText('Absichtlich lieblos');
	await second.getByRole('button', { name: 'Diese Aufgabe überspringen' }).click();
	await expect(second.getByRole('group', { name: 'Warum überspringst du sie?' })).toBeVisible();
	await expectGermanPage(second, ['About the highlighted message', 'Send labels', 'Why are you skipping it?', 'Is this spam?']);
	await spam.getByText('Nein', { exact: true }).click();
	await second.getByRole('button', { name: 'Bewertung senden' }).click();
	await expect(second.getByTestId('outcome')).toContainText('Danke! Deine Antwort ist beim Server angekommen.');
	await second.context().close();
});
