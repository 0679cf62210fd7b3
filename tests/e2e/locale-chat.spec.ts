import { expect, test, type Page } from '@playwright/test';
import { expectNoHorizontalScroll, expectNoSeriousA11yViolations, hotSampling } from './helpers';

// The chat, models and training pages in German: controls, settings, statuses and no English left.
test.beforeEach(async ({ context, page }) => {
	await context.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()));
	await page.addInitScript(() => localStorage.setItem('oasis.locale', 'de'));
});

/** None of these English texts (from the pages' catalogues) is on the page. */
async function noEnglish(page: Page, texts: string[]) {
	for (const text of texts) await expect(page.getByText(text, { exact: true }), text).toHaveCount(0);
}

/** At 360 px: no sideways scroll; then no serious accessibility problem. */
async function narrowAndAccessible(page: Page) {
	await page.setViewportSize({ width: 360, height: 740 });
	await expectNoHorizontalScroll(page);
	await expectNoSeriousA11yViolations(page);
	await page.setViewportSize({ width: 1280, height: 800 });
}

test('the chat in German: send, stop, continue, settings, model picker', async ({ page }) => {
	await page.goto('/chat');
	await expect(page.locator('html')).toHaveAttribute('lang', 'de');
	await expect(page).toHaveTitle('Chat · Oasis');
	await expect(page.getByText('Läuft auf diesem Gerät – nichts, was du schreibst, verlässt es.')).toBeVisible();
	await expect(page.getByTestId('engine-status')).toContainText('Modell bereit', { timeout: 45_000 });
	await page.getByRole('button', { name: 'Neuer Chat' }).click();

	// Settings, in German; a long reply limit so that the reply is still streaming when stopped.
	await page.getByText('Chat-Einstellungen').click();
	await expect(page.getByLabel('System-Prompt')).toHaveAttribute('placeholder', 'z. B. Du bist ein Assistent, der sich kurz fasst.');
	await expect(page.getByLabel('Sampling-Voreinstellung').locator('option:checked')).toHaveText('k50 (ausgewogen)');
	await page.getByLabel('Sampling-Voreinstellung').selectOption('custom');
	await expect(page.getByRole('group', { name: 'Eigenes Sampling' }).getByLabel('Temperatur (0 = greedy)')).toBeVisible();
	await page.getByLabel('Sampling-Voreinstellung').selectOption('k50');
	await page.getByLabel('Maximale Antwortlänge (Token)').fill('1500');
	await page.getByLabel('Maximale Antwortlänge (Token)').blur();
	await hotSampling(page, { settings: 'Chat-Einstellungen', preset: 'Sampling-Voreinstellung', custom: 'Eigene', temperature: 'Temperatur (0 = greedy)', topK: 'Top-k (0 = aus)', topP: 'Top-p (1 = aus)', repetitionPenalty: 'Wiederholungsstrafe (1 = aus)' });
	await expect(page.getByLabel('Modell', { exact: true })).toBeVisible();

	await page.getByLabel('Nachricht', { exact: true }).fill('Hallo, Oasis!');
	await page.getByLabel('Nachricht', { exact: true }).press('Enter');
	const reply = page.locator('[data-testid=message][data-role=assistant]').first();
	await expect(reply).toHaveAttribute('data-state', 'streaming');
	await expect(reply).not.toHaveAttribute('data-chars', '0');
	await page.getByRole('button', { name: 'Anhalten' }).click();
	await expect(reply).toHaveAttribute('data-state', 'aborted');
	await expect(reply.getByTestId('message-note')).toHaveText('Angehalten');
	await expect(reply.getByRole('button', { name: 'Neu erzeugen' })).toBeVisible();
	await expect(reply.getByRole('button', { name: 'Fortsetzen' })).toBeVisible();
	await expect(reply.getByRole('group', { name: 'Diese Antwort bewerten' }).getByRole('button', { name: 'Gute Antwort' })).toBeVisible();
	await expect(reply.locator('.speed')).toContainText(/Token · erstes nach \d+,\d\d s/);
	await expect(page.getByRole('article', { name: 'Du hast geschrieben' }).getByRole('button', { name: 'Bearbeiten' })).toBeVisible();
	await expect(page.getByRole('button', { name: 'Diese Unterhaltung teilen' })).toBeVisible();
	await expect(page.getByRole('button', { name: 'Senden' })).toBeVisible();

	await noEnglish(page, ['New chat', 'Chat settings', 'System prompt', 'Stop', 'Stopped', 'Regenerate', 'Continue', 'Share this conversation', 'Runs on this device — nothing you write leaves it.']);
	await expect(page.getByTestId('engine-status')).not.toContainText('Model ready');
	await narrowAndAccessible(page);
});

test('models, training list, a job link and the contribute page in German', async ({ page }) => {
	await page.goto('/models');
	await expect(page.locator('html')).toHaveAttribute('lang', 'de');
	await expect(page).toHaveTitle('Modelle – Oasis');
	await expect(page.getByRole('heading', { level: 1, name: 'Modelle' })).toBeVisible();
	await expect(page.getByRole('heading', { name: 'Speicher', exact: true })).toBeVisible();
	await expect(page.getByLabel('Nur Modelle zeigen, die auf diesem Gerät laufen')).toBeVisible();
	await expect(page.getByTestId('storage')).toContainText('belegt');
	await expect(page.getByText('Kommt mit der App: Es gibt nichts herunterzuladen.').first()).toBeVisible();
	await expect(page.getByTestId('runs-here').first()).toHaveText(/Läuft hier/);
	await noEnglish(page, ['Storage', 'Only show models that run on this device', 'Memory needed', 'Runs here', 'Ships with the app: nothing to download.']);
	await narrowAndAccessible(page);

	await page.goto('/training');
	await expect(page).toHaveTitle('Training – Oasis');
	await expect(page.getByRole('link', { name: 'Stell dein Gerät fürs Training bereit' })).toBeVisible();
	await expect(page.getByRole('heading', { name: 'Jobs', exact: true })).toBeVisible();
	await expect(page.getByText(/^Freiwillige trainieren gemeinsam offene Modelle nach/)).toBeVisible();
	await noEnglish(page, ['Lend your device to training', 'No training jobs yet.', 'Training jobs, newest first']);
	await narrowAndAccessible(page);

	await page.goto('/training/job');
	await expect(page.getByRole('heading', { level: 1, name: 'Trainingsjob' })).toBeVisible();
	await expect(page.getByRole('link', { name: '← Alle Trainingsjobs' })).toBeVisible();
	await noEnglish(page, ['Training job', '← All training jobs']);

	await page.goto('/training/contribute');
	await expect(page).toHaveTitle('Stell dein Gerät fürs Training bereit – Oasis');
	await expect(page.getByRole('heading', { level: 1, name: 'Stell dein Gerät fürs Training bereit' })).toBeVisible();
	await expect(page.getByRole('heading', { name: 'Dein Gerät', exact: true })).toBeVisible();
	await expect(page.getByTestId('device')).toBeVisible();
	await expect(page.getByText(/^Fürs Training brauchst du ein Konto/)).toBeVisible();
	await expect(page.getByRole('link', { name: 'anmelden', exact: true })).toHaveAttribute('href', '/auth/signin?next=/training/contribute');
	await noEnglish(page, ['Your device', 'Reading your GPU…', 'Sign in']);
	await narrowAndAccessible(page);
});
