import { expect, test, type Browser, type Page } from '@playwright/test';
import { t as admin } from '../../web/lib/i18n/catalogue/admin';
import { t as community } from '../../web/lib/i18n/catalogue/community';
import { t as device } from '../../web/lib/i18n/catalogue/device';
import { t as messages } from '../../web/lib/i18n/catalogue/messages';
import { t as stats } from '../../web/lib/i18n/catalogue/stats';
import { t as status } from '../../web/lib/i18n/catalogue/status';
import { expectNoHorizontalScroll, expectNoSeriousA11yViolations, trpc } from './helpers';

// The community, message, statistics, status, device and moderation pages in German. Everything
// created here is in Portuguese ('pt'): the suites share one server, and the other specs' task
// queues (English, German, Esperanto) must stay as they expect.

const PHONE = { viewport: { width: 360, height: 740 } };
const PROMPT = 'Como se faz um bom pão sem fermento?';
const REPLY = 'Com massa-mãe: farinha e água, alimentadas durante alguns dias.';

/** A 360 px phone context whose pages start in German, signed in as `name` with `role`. */
async function germanPhone(browser: Browser, name: string, role?: 'moderator' | 'admin') {
	const context = await browser.newContext(PHONE);
	await context.addInitScript(() => localStorage.setItem('oasis.locale', 'de'));
	const page = await context.newPage();
	const me = await trpc<{ user: { id: string } }>(page.request, 'auth.devLogin', role ? { name, role } : { name });
	return { context, page, me };
}

/** The page is in German: `<html lang="de">`, the heading, none of `english`, no sideways scroll, no serious axe finding. */
async function expectGerman(page: Page, heading: string, english: string[]) {
	await expect(page.locator('html')).toHaveAttribute('lang', 'de');
	await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
	for (const text of english) await expect(page.getByText(text, { exact: false }), text).toHaveCount(0);
	await expectNoHorizontalScroll(page);
	await expectNoSeriousA11yViolations(page);
}

/** `key` of `t` in English, checked to differ from its German (else the "no English" check proves nothing). */
function en<K extends string>(t: { in(locale: 'en' | 'de', key: K, values?: Record<string, string | number>): string }, key: K, values?: Record<string, string | number>): string {
	const english = t.in('en', key, values);
	expect(t.in('de', key, values), key).not.toBe(english);
	return english;
}

test('contributions, leaderboard, trollboard, statistics and status in German', async ({ browser }) => {
	const { context, page } = await germanPhone(browser, 'Locale Mod', 'moderator');
	await trpc(page.request, 'messages.share', {
		clientId: 'locale-community-1',
		lang: 'pt',
		turns: [
			{ role: 'prompter', text: 'O que é um placar?' },
			{ role: 'assistant', text: 'Uma lista dos voluntários com mais pontos.', modelName: 'test-model' }
		]
	});

	await page.goto('/contributions');
	const mine = page.getByRole('list', { name: 'Deine Nachrichten' });
	await expect(mine).toContainText('O que é um placar?');
	await expect(mine).toContainText('Wartet auf Prüfung');
	await expect(mine).toContainText('Antwort als Assistent');
	await expectGerman(page, 'Meine Beiträge', [en(community, 'review', { review: 'pending' }), en(community, 'contribKind', { kind: 'assistant' }), 'review']);

	await page.goto('/leaderboard');
	await expect(page.getByRole('group', { name: 'Zeitraum' }).getByRole('button', { name: 'Gesamt' })).toHaveAttribute('aria-pressed', 'true');
	await expect(page.getByRole('heading', { name: 'Rechenleistung' })).toBeVisible();
	await page.getByRole('button', { name: 'Diese Woche' }).click();
	await expect(page.getByRole('button', { name: 'Diese Woche' })).toHaveAttribute('aria-pressed', 'true');
	await expect(page.getByRole('status').filter({ hasText: 'Wird geladen' })).toHaveCount(0);
	await expect(page.getByText('Die besten Freiwilligen – Diese Woche').or(page.getByTestId('leaderboard-empty'))).toBeVisible();
	await expectGerman(page, 'Bestenliste', [en(community, 'timeFrame', { frame: 'total' }), en(community, 'siteStats'), en(community, 'computeCaption'), 'Nobody has']);

	await page.getByRole('link', { name: 'Trollliste' }).click();
	await expect(page.getByText(community.in('de', 'trollHint'))).toBeVisible();
	await expectGerman(page, 'Trollliste', [en(community, 'trollHint'), en(community, 'backToLeaderboard'), en(community, 'timeFrame', { frame: 'day' })]);

	await page.goto('/stats');
	await expect(page.getByRole('heading', { name: 'Nachrichten nach Rolle' })).toBeVisible();
	await expect(page.getByRole('rowheader', { name: 'Assistent', exact: true })).toBeVisible();
	await expect(page.getByRole('columnheader', { name: 'Anzahl' }).first()).toBeVisible();
	await expectGerman(page, 'Statistiken', [en(stats, 'messagesByLanguage'), en(stats, 'treesByState'), en(stats, 'headCount')]);

	await page.goto('/status');
	await expect(page.getByTestId('health')).toContainText('Datenbank');
	await expect(page.getByTestId('health')).toContainText(/\d+ angewendet/);
	await expectGerman(page, 'Serverstatus', [en(status, 'database'), en(status, 'migrations'), ' applied']);
	await context.close();
});

test('message browser, conversation tree and moderation pages in German', async ({ browser, request }) => {
	// A writer shares a Portuguese conversation; the German-speaking admin flags its reply.
	await trpc(request, 'auth.devLogin', { name: 'Locale Writer' });
	const shared = await trpc<{ messageTreeId: string }>(request, 'messages.share', {
		clientId: 'locale-community-2',
		lang: 'pt',
		turns: [
			{ role: 'prompter', text: PROMPT },
			{ role: 'assistant', text: REPLY, modelName: 'test-model' }
		]
	});
	const tree = await trpc<{ messages: { id: string; role: string }[] }>(request, 'messages.tree', { id: shared.messageTreeId }, 'query');
	const replyId = tree.messages.find((m) => m.role === 'assistant')!.id;
	const { context, page } = await germanPhone(browser, 'Locale Admin', 'admin');
	await trpc(page.request, 'messages.emoji', { messageId: replyId, emoji: 'red_flag', op: 'add' });

	// The message browser ('pt' is no language of the picker, so its filter comes in the URL), then the conversation.
	await page.goto('/messages?lang=pt&role=assistant');
	const filters = page.getByRole('search', { name: 'Nachrichten filtern' });
	await expect(filters.getByLabel('Geschrieben als')).toHaveValue('assistant');
	await filters.getByLabel('Text enthält').fill('massa-mãe');
	await filters.getByRole('button', { name: 'Nachrichten zeigen' }).click();
	const found = page.getByRole('list', { name: 'Gefundene Nachrichten' });
	await expect(found.getByRole('listitem')).toHaveCount(1);
	await expect(found).toContainText('Assistent');
	await expect(found).toContainText('0 Antworten');
	await expectGerman(page, 'Nachrichten', [en(messages, 'textContains'), en(messages, 'show'), en(messages, 'replies', { count: 0 }), 'Open conversation']);

	// The tree: German state, roles, reactions and the report form.
	await found.getByRole('link', { name: /^Unterhaltung öffnen/ }).click();
	await expect(page.getByTestId('tree-state')).toHaveText('Der Prompt wird geprüft');
	const reply = page.getByTestId(`message-${replyId}`);
	await expect(reply.getByRole('heading', { name: /^Assistent/ })).toBeVisible();
	await expect(reply).toContainText('synthetisch · test-model');
	await expect(reply).toContainText('Wartet auf Prüfung');
	await expect(reply.getByRole('button', { name: 'Daumen hoch, 0' })).toBeVisible();
	await expect(reply.getByRole('button', { name: 'Meine Flagge zurücknehmen, 1 Flagge' })).toHaveAttribute('aria-pressed', 'true');
	await expect(page.getByRole('button', { name: 'Baum anhalten' })).toBeVisible();
	const root = page.getByRole('region', { name: 'Nachrichten der Unterhaltung' }).getByRole('article').filter({ hasText: PROMPT });
	await root.getByRole('button', { name: /^Melden/ }).click();
	await expect(root.getByRole('form', { name: 'Diese Nachricht melden' })).toBeVisible();
	await expectGerman(page, 'Unterhaltung', [en(messages, 'treeState', { state: 'initial_prompt_review' }), en(messages, 'halt'), en(messages, 'reportText'), 'Thumbs up']);
	await root.getByRole('button', { name: 'Abbrechen' }).click();

	// The flagged queue and an invalid id, in German.
	await page.goto('/admin');
	await expect(page.getByRole('heading', { name: 'Gemeldete Nachrichten' })).toBeVisible();
	const item = page.getByRole('list', { name: 'Gemeldete Nachrichten' }).getByRole('listitem').filter({ hasText: REPLY });
	await expect(item).toContainText('1 Flagge · 0 Meldungen');
	await expect(item.getByRole('button', { name: 'Verwerfen' })).toBeVisible();
	await page.getByLabel('Unterhaltung über eine Nachrichten-ID öffnen').fill('keine-id');
	await page.getByRole('button', { name: 'Unterhaltung öffnen' }).click();
	await expect(page.getByRole('alert').filter({ hasText: 'Gib eine Nachrichten-ID ein' })).toBeVisible();
	await expectGerman(page, 'Moderation', [en(admin, 'flaggedTitle'), en(admin, 'findLabel'), en(admin, 'dismiss'), en(admin, 'findInvalid')]);

	// User management: the writer's record, with the admin's actions.
	await page.getByRole('navigation', { name: 'Moderation' }).getByRole('link', { name: 'Nutzer' }).click();
	await page.getByLabel('Name enthält, oder Nutzer-ID').fill('Locale Writer');
	await page.getByRole('button', { name: 'Nutzer suchen' }).click();
	await page.getByRole('button', { name: 'Locale Writer verwalten' }).click();
	await expect(page.getByRole('heading', { name: 'Locale Writer' })).toBeFocused();
	await expect(page.getByTestId('user-role')).toHaveText('Mitglied');
	await expect(page.getByRole('button', { name: 'Sperren', exact: true })).toBeVisible();
	await expect(page.getByRole('button', { name: 'Rolle setzen' })).toBeDisabled();
	await expectGerman(page, 'Nutzer', [en(admin, 'userRole', { role: 'general' }), en(admin, 'findUsers'), en(admin, 'setRole'), en(admin, 'purge')]);
	await context.close();
});

test('the device page in German', async ({ browser }) => {
	const context = await browser.newContext(PHONE);
	await context.addInitScript(() => localStorage.setItem('oasis.locale', 'de'));
	const page = await context.newPage();
	await page.goto('/device');
	await expect(page.getByTestId('self-check')).toHaveText(device.in('de', 'allMatch'), { timeout: 40_000 });
	await expect(page.getByRole('cell', { name: 'stimmt', exact: true })).toHaveCount(3);
	await expect(page.getByTestId('f16')).toContainText(/ja|nein/);
	await expectGerman(page, 'Dein Gerät', [en(device, 'allMatch'), en(device, 'maxBuffer'), en(device, 'colMaxError')]);
	await context.close();
});
