import { expect, test, type Page } from '@playwright/test';
import { oasstTreeLines, trainedLoraJob, trpc } from './helpers';

// A finished LoRA job becomes something people use: a moderator creates an SFT LoRA job on the
// bundled `oasis-tiny` through the API, a headless worker (`npx oasis worker --once`: the shared
// worker loop on Dawn in Node) trains its one unit, and then the chat offers "base model +
// adapter of job N (version 1)", fetches the two PEFT files into the device's model store once,
// answers with the merged model, and still does with the network cut; the job page offers the
// PEFT download. Its trees are Italian ('it'), so other specs' queues and snapshots are untouched.

const TOPICS: [string, string][] = [
	['Come si fa il pane in casa?', 'Impasta farina, acqua, lievito e sale, lascia lievitare e cuoci in forno ben caldo.'],
	['Qual è la capitale d’Italia?', 'La capitale è Roma, nel Lazio, sul fiume Tevere.'],
	['Come imparo ad andare in bicicletta?', 'Inizia su un prato, abbassa la sella e prova l’equilibrio spingendo con i piedi.'],
	['Perché il cielo è blu?', 'La luce del sole si diffonde nell’aria, e il blu si diffonde più degli altri colori.'],
	['Come curo un cactus?', 'Poca acqua, molta luce, e lascia asciugare bene il terriccio tra un’annaffiatura e l’altra.'],
	['Cosa mangio a colazione?', 'Yogurt con frutta e avena dà energia a lungo ed è veloce da preparare.'],
	['Come scrivo una lettera di presentazione?', 'Nomina il posto, mostra cosa sai fare con un esempio e chiudi in modo breve e cortese.'],
	['Come funziona una pala eolica?', 'Il vento fa girare le pale, che girano un albero; un generatore ne ricava corrente.'],
	['Come cucino il riso?', 'Sciacqua il riso, cuocilo in una volta e mezza d’acqua e lascialo riposare coperto.'],
	['Che nome do al mio gatto?', 'Prova Micio, Tigre o Nuvola; scegli un nome che ti piace dire ad alta voce.'],
	['Come comincio a correre?', 'Alterna un minuto di corsa e uno di cammino, tre volte a settimana, e aumenta piano.'],
	['Come conservo le erbe fresche?', 'Mettile in un bicchiere d’acqua in frigo, oppure congelale tritate nell’olio.']
];

const assistant = (page: Page) => page.locator('[data-testid=message][data-role=assistant]');

async function send(page: Page, text: string) {
	const field = page.getByLabel('Max reply length (tokens)');
	if (!(await field.isVisible())) await page.getByText('Chat settings').click();
	await field.fill('4');
	await field.blur();
	await page.getByLabel('Message', { exact: true }).fill(text);
	await page.getByRole('button', { name: 'Send' }).click();
	await expect(assistant(page).first()).toHaveAttribute('data-state', /complete|length/, { timeout: 30_000 });
}

test('a finished LoRA job’s adapter: picked in the chat, answering offline, and downloadable in PEFT form', async ({ browser, baseURL }) => {
	test.setTimeout(120_000);
	const modContext = await browser.newContext();
	const mod = modContext.request;
	const name = 'Italian oasis-tiny LoRA';
	const job = await trainedLoraJob(mod, baseURL!, {
		moderator: 'Adapter Moderator',
		lang: 'it',
		jsonl: oasstTreeLines('it', 'it-adapter', TOPICS),
		name,
		objective: 'sft',
		hyper: { lr: 1e-2, innerSteps: 1, batchTokens: 120, sequenceTokens: 64, validationExamples: 4, leaseSeconds: 600, roundSeconds: 3600 },
		seed: 11,
		volunteer: 'Adapter Volunteer'
	});

	// The server offers it to the chat: the newest version, with its files' sizes and hashes.
	const offers = await trpc<{ jobId: string; version: number; files: { path: string; size: number }[] }[]>(mod, 'training.adapters', { baseModel: 'oasis-tiny' }, 'query');
	expect(offers.find((o) => o.jobId === job.id)).toMatchObject({ version: 1 });

	// The chat: the bundled model first (the service worker caches the app and the model).
	const context = await browser.newContext();
	const page = await context.newPage();
	await page.goto('/chat');
	await page.waitForFunction(() => navigator.serviceWorker?.controller !== null, undefined, { timeout: 30_000 });
	await page.reload();
	await expect(page.getByTestId('engine-status')).toContainText('Model ready', { timeout: 45_000 });
	const adapterId = `oasis-tiny.lora.${job.id}.v1`;
	const picker = page.getByLabel('LoRA adapter');
	const option = `Oasis tiny (bundled) + adapter of job “${name}” (version 1)`;
	await page.getByRole('button', { name: 'New chat' }).click();
	await expect(picker.locator('option', { hasText: option })).toHaveCount(1);
	await picker.selectOption({ label: option });
	await expect(page.getByText('The adapter is saved on this device and works offline.')).toBeVisible({ timeout: 30_000 });
	await expect(page.getByTestId('engine-status')).toContainText(`Model ready: ${adapterId}`, { timeout: 45_000 });
	await send(page, 'Ciao!');

	// With the network cut: the adapter comes from the device's store, the base model from its cache.
	await context.setOffline(true);
	await page.reload();
	await expect(page.getByTestId('engine-status')).toContainText(`Model ready: ${adapterId}`, { timeout: 45_000 });
	await expect(picker).toHaveValue(adapterId);
	await page.getByRole('button', { name: 'New chat' }).click();
	await send(page, 'Come stai?');
	await expect(page.getByTestId('engine-problem')).toHaveCount(0);
	await context.setOffline(false);

	// The job page offers each version's PEFT files.
	await page.goto(`/training/job?id=${job.id}`);
	const link = page.getByRole('link', { name: 'Download adapter (PEFT): adapter_model.safetensors' });
	await expect(link).toHaveCount(1);
	const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
	expect(download.suggestedFilename()).toBe('adapter_model.safetensors');
	const res = await page.request.get((await link.getAttribute('href'))!);
	expect(res.status()).toBe(200);
	expect(res.headers()['content-type']).toBe('application/octet-stream');
	expect(res.headers()['content-disposition']).toBe('attachment; filename="adapter_model.safetensors"');
	expect(res.headers()['x-oasis-adapter-version']).toBe('1');
	const body = await res.body();
	expect(Number(res.headers()['content-length'])).toBe(body.length);
	// 4 layers × (q: A [2,128] + B [128,2], v: A [2,128] + B [64,2]) f32 values, after the header.
	const headerLength = Number(body.readBigUInt64LE(0));
	const header = JSON.parse(body.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { dtype: string; shape: number[] }>;
	expect(body.length).toBe(8 + headerLength + 4 * 4 * (256 + 256 + 256 + 128));
	expect(header['base_model.model.model.layers.3.self_attn.v_proj.lora_B.weight']).toMatchObject({ dtype: 'F32', shape: [64, 2] });
	const config = await (await page.request.get(`/api/training/jobs/${job.id}/adapter/adapter_config.json`)).json();
	expect(config).toMatchObject({ peft_type: 'LORA', r: 2, lora_alpha: 4, target_modules: ['q_proj', 'v_proj'], base_model_name_or_path: 'oasis-tiny' });
	await context.close();
	await modContext.close();
});
