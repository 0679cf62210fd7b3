import { expect, test } from '@playwright/test';
import { oasstTreeLines, trpc } from './helpers';

// The browser worker trains the bundled Llama-family model: a moderator creates an SFT LoRA job on
// `oasis-tiny` through the API, a volunteer's browser (Chromium, WebGPU on SwiftShader, f32) fetches
// the model from this site, trains one unit with kernels/train LlamaTrainer in its Web Worker, and
// the server (which tokenizes alike and measures the held-out loss on its own GPU context) accepts
// it. Its trees are Danish ('da'), so other specs' task queues and snapshots are untouched.

const TOPICS: [string, string][] = [
	['Hvordan bager jeg rugbrød?', 'Lav en surdej, bland den med rugmel, kerner og vand, og bag brødet langsomt ved lav varme.'],
	['Hvad er Danmarks hovedstad?', 'København er hovedstaden, og den ligger på Sjælland og Amager.'],
	['Hvordan lærer jeg at cykle?', 'Start på en rolig sti, sænk sadlen, og øv balancen med korte stræk uden pedaler.'],
	['Hvorfor er himlen blå?', 'Sollyset spredes i luften, og det blå lys spredes mest.'],
	['Hvordan passer jeg en kaktus?', 'Giv den lidt vand, meget lys, og lad jorden tørre helt mellem hver vanding.'],
	['Hvad er en god morgenmad?', 'Havregryn med frugt og nødder giver energi længe og er hurtig at lave.'],
	['Hvordan skriver jeg en ansøgning?', 'Nævn stillingen, vis hvad du kan med et eksempel, og slut kort og venligt.'],
	['Hvordan virker en vindmølle?', 'Vinden drejer vingerne, som drejer en aksel; en generator laver strøm af det.'],
	['Hvordan koger jeg ris?', 'Skyl risene, kog dem i halvanden gang så meget vand, og lad dem trække under låg.'],
	['Hvad er et godt navn til en kat?', 'Prøv Misse, Tiger eller Fnug; vælg et navn du kan lide at sige højt.'],
	['Hvordan begynder jeg at løbe?', 'Skift mellem et minuts løb og et minuts gang, tre gange om ugen, og byg langsomt op.'],
	['Hvordan gemmer jeg friske krydderurter?', 'Stil dem i et glas vand i køleskabet, eller frys dem finthakket i olie.']
];

/** Twelve oasst tree lines (prompt + accepted assistant reply). */
const treeLines = () => oasstTreeLines('da', 'da-llama', TOPICS);

interface JobFigures {
	job: { state: string; error: string | null; initialValidationLoss: number | null; parameterCount: number };
	rounds: { state: string; accepted: number; rejected: number; tokens: number; validationLoss: number | null }[];
}

test('a volunteer’s browser trains the bundled Llama model (LoRA, WebGPU) and the server accepts its update', async ({ browser }) => {
	test.setTimeout(90_000);
	const modContext = await browser.newContext();
	const mod = modContext.request;
	await trpc(mod, 'auth.devLogin', { name: 'Llama Moderator', role: 'moderator' });
	await trpc(mod, 'exchange.import', { jsonl: treeLines() });
	const snapshot = await trpc<{ id: string; content_hash: string; tree_count: number }>(mod, 'snapshot.create', { lang: 'da' });
	expect(snapshot.tree_count).toBe(TOPICS.length);
	// One round of one unit, one inner step of a few short threads: small enough for SwiftShader.
	const job = await trpc<{ id: string }>(mod, 'training.create', {
		name: 'Danish oasis-tiny LoRA',
		objective: 'sft',
		baseModel: 'oasis-tiny',
		snapshot: { id: snapshot.id, contentHash: snapshot.content_hash },
		mode: { kind: 'lora', rank: 2, alpha: 4, targets: ['q', 'v'] },
		hyper: { lr: 1e-2, innerSteps: 1, batchTokens: 120, sequenceTokens: 64, validationExamples: 4, leaseSeconds: 600, roundSeconds: 3600 },
		rounds: 1,
		workersPerRound: 1,
		seed: 7
	});
	// The server measures the base model's held-out loss on its own GPU context before the job runs.
	await expect
		.poll(async () => {
			const { job: j } = await trpc<JobFigures>(mod, 'training.get', { jobId: job.id }, 'query');
			return j.error ?? j.state;
		}, { timeout: 30_000 })
		.toBe('running');

	const context = await browser.newContext();
	const page = await context.newPage();
	const me = await trpc<{ user: { id: string } }>(page.request, 'auth.devLogin', { name: 'Llama Volunteer' });
	await page.goto(`/training/contribute?job=${job.id}`);
	await expect(page.getByRole('heading', { name: 'Lend your device to training' })).toBeVisible();
	// The page has read the device and loaded its worker client (the consent box works from then on).
	await expect(page.getByTestId('device')).toBeVisible();
	await expect(page.getByLabel('Job')).toHaveValue(job.id);
	const startButton = page.getByRole('button', { name: 'Start training' });
	await expect(startButton).toBeDisabled();
	await expect(page.getByText(/Llama-family model oasis-tiny/)).toBeVisible();
	await page.getByLabel('I understand, and agree to train on this device.').check();
	const started = Date.now();
	await startButton.click();
	await expect(page.getByRole('alert')).toHaveCount(0);
	await expect(page.getByTestId('accepted')).toHaveText('1', { timeout: 60_000 });
	const seconds = (Date.now() - started) / 1000;
	await expect(page.getByTestId('rejected')).toHaveText('0');
	await expect(page.getByTestId('unit-row').first()).toContainText('Accepted');
	await expect(page.getByTestId('train-phase')).toContainText('The job has finished.');
	const speed = await page.locator('dt:has-text("Speed") + dd').textContent();

	// The server's record: one accepted update from this user, the round closed with a held-out loss.
	const workers = await trpc<{ userId: string; accepted: number; acceptedTokens: number }[]>(page.request, 'training.workers', { jobId: job.id }, 'query');
	expect(workers).toHaveLength(1);
	expect(workers[0]).toMatchObject({ userId: me.user.id, accepted: 1 });
	expect(workers[0]!.acceptedTokens).toBeGreaterThan(0);
	const figures = await trpc<JobFigures>(page.request, 'training.get', { jobId: job.id }, 'query');
	expect(figures.job.state).toBe('finished');
	expect(figures.rounds).toHaveLength(1);
	expect(figures.rounds[0]).toMatchObject({ state: 'closed', accepted: 1, rejected: 0, tokens: workers[0]!.acceptedTokens });
	const loss = figures.rounds[0]!.validationLoss!;
	expect(Number.isFinite(loss)).toBe(true);
	// With no loss tolerance, an accepted first update cannot raise the held-out loss.
	expect(loss).toBeLessThanOrEqual(figures.job.initialValidationLoss!);
	console.info(
		`oasis-tiny LoRA in Chromium: ${figures.job.parameterCount} trainable parameters, ${workers[0]!.acceptedTokens} tokens, unit accepted ${seconds.toFixed(1)} s after start (model fetch + GPU setup + training + upload), speed shown ${speed}; validation loss ${figures.job.initialValidationLoss!.toFixed(4)} → ${loss.toFixed(4)}`
	);
	await context.close();
	await modContext.close();
});
