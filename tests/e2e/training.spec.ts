import { expect, test } from '@playwright/test';
import { expectNoSeriousA11yViolations, oasstTreeLines, trpc } from './helpers';

// Distributed training through the web app: a moderator creates a job from the UI, a volunteer's
// browser trains a unit in its Web Worker and the server accepts it, the job page charts the loss.
// The job uses the server's built-in model (oasis/char-bigram; no Llama TrainingModel is registered
// yet), trained on the CPU inside the worker. Its trees are Dutch ('nl'), so other specs' task
// queues are untouched.

const TOPICS: [string, string][] = [
	['Hoe bak ik een brood zonder gist?', 'Gebruik zuurdesem: meel en water, een paar dagen gevoed, en bak het deeg op hoge temperatuur.'],
	['Wat is de hoofdstad van Nederland?', 'Amsterdam is de hoofdstad, maar de regering zit in Den Haag.'],
	['Hoe leer ik fietsen als volwassene?', 'Begin op een rustig pad, laat de trappers eerst weg en oefen het evenwicht met korte stukjes.'],
	['Waarom is de lucht blauw?', 'Zonlicht wordt door de lucht verstrooid, en blauw licht wordt het sterkst verstrooid.'],
	['Hoe zorg ik voor een cactus?', 'Geef weinig water, veel licht, en laat de grond tussen twee beurten helemaal droog worden.'],
	['Wat is een goed ontbijt?', 'Havermout met fruit en noten geeft lang energie en is snel klaar.'],
	['Hoe schrijf ik een sollicitatiebrief?', 'Noem de functie, laat zien wat je kunt met een voorbeeld, en sluit kort en vriendelijk af.'],
	['Hoe werkt een windmolen?', 'De wind draait de wieken, die een as laten draaien; een generator maakt daar stroom van.'],
	['Hoe kook ik rijst?', 'Spoel de rijst, kook hem in anderhalf keer zoveel water en laat hem met de deksel erop garen.'],
	['Wat is een goede naam voor een kat?', 'Probeer Minoes, Tijger of Pluis; kies een naam die je graag hardop zegt.'],
	['Hoe begin ik met hardlopen?', 'Wissel een minuut lopen af met een minuut wandelen, drie keer per week, en bouw langzaam op.'],
	['Hoe bewaar ik verse kruiden?', 'Zet ze als bloemen in een glas water in de koelkast, of vries ze fijngehakt in olie in.']
];

/** Twelve oasst tree lines (prompt + accepted assistant reply). With these ids, the job's 20 % split holds out 2 trees. */
const treeLines = () => oasstTreeLines('nl', 'nl-train', TOPICS);

test('a moderator creates a training job; a volunteer’s browser trains a unit the server accepts; the loss is charted', async ({ browser }) => {
	test.setTimeout(90_000);
	// The moderator: a snapshot of Dutch trees through the API, the job through the UI.
	const modContext = await browser.newContext();
	const mod = await modContext.newPage();
	await trpc(mod.request, 'auth.devLogin', { name: 'Train Moderator', role: 'moderator' });
	await trpc(mod.request, 'exchange.import', { jsonl: treeLines() });
	const snapshot = await trpc<{ id: string; tree_count: number }>(mod.request, 'snapshot.create', { lang: 'nl' });
	expect(snapshot.tree_count).toBe(TOPICS.length);

	await mod.goto('/training');
	await expect(mod.getByRole('heading', { name: 'Create a job' })).toBeVisible();
	await mod.getByLabel('Name').fill('Dutch bigram');
	await mod.getByLabel('Snapshot').selectOption(snapshot.id);
	await expect(mod.getByLabel('Base model')).toHaveValue('oasis/char-bigram');
	// A bad value is explained before anything is sent.
	await mod.getByLabel('Rounds').fill('0');
	await mod.getByRole('button', { name: 'Create job' }).click();
	await expect(mod.getByText('the number of rounds is at least 1')).toBeVisible();
	await mod.getByLabel('Rounds').fill('2');
	await mod.getByLabel('Work units per round').fill('1');
	await mod.getByLabel('Learning rate (per volunteer)').fill('0.05');
	await mod.getByLabel('Steps per unit').fill('2');
	await mod.getByText('More settings').click();
	await mod.getByLabel('Tokens per step').fill('1000');
	await expectNoSeriousA11yViolations(mod);
	await mod.getByRole('button', { name: 'Create job' }).click();

	await expect(mod).toHaveURL(/\/training\/job\?id=/);
	const jobId = new URL(mod.url()).searchParams.get('id')!;
	await expect(mod.getByRole('heading', { name: 'Dutch bigram' })).toBeVisible();
	await expect(mod.getByTestId('job-state')).toHaveText('Running');
	// Pause and resume from the job page.
	await mod.getByRole('button', { name: 'Pause job' }).click();
	await expect(mod.getByTestId('job-state')).toHaveText('Paused');
	await mod.getByRole('button', { name: 'Resume job' }).click();
	await expect(mod.getByTestId('job-state')).toHaveText('Running');

	await mod.goto('/training');
	const row = mod.getByTestId('job-row').filter({ hasText: 'Dutch bigram' });
	await expect(row).toContainText('Running');
	await expect(row).toContainText('0 of 2 rounds');
	await expect(row).toContainText(snapshot.id);
	// The moderator keeps the job page open: it follows the rounds live (training.watch, SSE).
	await mod.getByRole('link', { name: 'Dutch bigram' }).click();
	await expect(mod.getByText('Live: new rounds appear as they close.')).toBeVisible();
	await expect(mod.getByTestId('round-row')).toHaveCount(1);

	// The volunteer: device, consent, train.
	const context = await browser.newContext();
	// Headless Chromium has no battery: stand one in for the Battery Status API, at 10 %, unplugged.
	await context.addInitScript(() => {
		const battery = Object.assign(new EventTarget(), { level: 0.1, charging: false });
		Object.assign(window, { testBattery: battery });
		Object.defineProperty(navigator, 'getBattery', { configurable: true, value: () => Promise.resolve(battery) });
	});
	const page = await context.newPage();
	const me = await trpc<{ user: { id: string } }>(page.request, 'auth.devLogin', { name: 'Train Volunteer' });
	await page.goto(`/training/contribute?job=${jobId}`);
	await expect(page.getByRole('heading', { name: 'Lend your device to training' })).toBeVisible();
	await expect(page.getByTestId('device')).toBeVisible();
	await expect(page.getByLabel('Job')).toHaveValue(jobId);
	const startButton = page.getByRole('button', { name: 'Start training' });
	await expect(startButton).toBeDisabled();
	await page.getByLabel('I understand, and agree to train on this device.').check();
	await expectNoSeriousA11yViolations(page);
	// Started in a hidden tab, the worker holds before asking for work; it goes on once the tab shows.
	const setVisibility = (state: 'hidden' | 'visible') =>
		page.evaluate((s) => {
			Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => s });
			document.dispatchEvent(new Event('visibilitychange'));
		}, state);
	await setVisibility('hidden');
	await startButton.click();
	await expect(page.getByTestId('train-phase')).toContainText('Paused because the tab is hidden and the battery is under 20 % and not charging');
	await expect(page.getByTestId('accepted')).toHaveText('0');
	// Stop works while paused; start again in a visible tab: still held by the battery until it charges.
	await page.getByRole('button', { name: 'Stop training' }).click();
	await expect(page.getByTestId('train-phase')).toHaveText('Stopped.');
	await setVisibility('visible');
	await startButton.click();
	await expect(page.getByTestId('train-phase')).toContainText('Paused because the battery is under 20 % and not charging');
	await page.evaluate(() => {
		const battery = (window as unknown as { testBattery: EventTarget & { charging: boolean } }).testBattery;
		battery.charging = true;
		battery.dispatchEvent(new Event('chargingchange'));
	});
	// Two rounds of one unit each: this browser trains both, the server accepts both, the job
	// finishes and the worker stops by itself.
	await expect(page.getByTestId('accepted')).toHaveText('2', { timeout: 45_000 });
	await expect(page.getByTestId('rejected')).toHaveText('0');
	await expect(page.getByTestId('unit-row').first()).toContainText('Accepted');
	// Pairwise accuracy is a column of reward and DPO units only.
	await expect(page.getByRole('columnheader', { name: 'Training loss' })).toBeVisible();
	await expect(page.getByRole('columnheader', { name: 'Pairwise accuracy' })).toHaveCount(0);
	await expect(page.getByTestId('train-phase')).toContainText('The job has finished.');
	await expect(startButton).toBeVisible();

	// The moderator's open page caught up by itself: both rounds closed, the job finished.
	await expect(mod.getByTestId('job-state')).toHaveText('Finished');
	await expect(mod.getByTestId('round-row')).toHaveCount(2);
	await expect(mod.getByTestId('loss-summary')).toContainText('after round 2');

	const workers = await trpc<{ userId: string; accepted: number; acceptedTokens: number }[]>(page.request, 'training.workers', { jobId }, 'query');
	expect(workers).toHaveLength(1);
	expect(workers[0]).toMatchObject({ userId: me.user.id, accepted: 2 });

	// The job page (through the jobs list): finished, with both rounds in the table and the chart drawn.
	await page.goto('/training');
	await expect(page.getByTestId('job-row').filter({ hasText: 'Dutch bigram' })).toContainText('Finished');
	await page.getByRole('link', { name: 'Dutch bigram' }).click();
	await expect(page.getByTestId('job-state')).toHaveText('Finished');
	await expect(page.getByTestId('round-row')).toHaveCount(2);
	await expect(page.getByTestId('loss-chart').locator('canvas')).toBeVisible();
	await expect(page.getByTestId('loss-summary')).toContainText('after round 2');
	const figures = await trpc<{ job: { initialValidationLoss: number }; rounds: { validationLoss: number }[] }>(page.request, 'training.get', { jobId }, 'query');
	// Honest training lowers the held-out loss round after round.
	expect(figures.rounds[1]!.validationLoss).toBeLessThan(figures.job.initialValidationLoss);
	await expect(page.getByText('Train Volunteer —')).toContainText(`${workers[0]!.acceptedTokens.toLocaleString('en')} tokens in 2 accepted updates`);
	await expectNoSeriousA11yViolations(page);

	// Compute credit on the leaderboard.
	await page.goto('/leaderboard');
	await expect(page.getByTestId('my-compute-row')).toContainText(workers[0]!.acceptedTokens.toLocaleString('en'));
	await context.close();
	await modContext.close();
});
