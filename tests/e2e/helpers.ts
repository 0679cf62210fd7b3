/** Helpers shared by the end-to-end specs. */
import { spawn } from 'node:child_process';
import { expect, type APIRequestContext, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';

/** Call a tRPC procedure over HTTP as the request context's user. */
export async function trpc<T>(request: APIRequestContext, path: string, input: unknown, kind: 'query' | 'mutation' = 'mutation'): Promise<T> {
	const url = `/api/trpc/${path}`;
	const res =
		kind === 'query'
			? await request.get(`${url}?input=${encodeURIComponent(JSON.stringify(input))}`)
			: await request.post(url, { data: input, headers: { 'x-oasis-csrf': '1' } });
	const body = await res.json();
	expect(res.ok(), `${path}: ${JSON.stringify(body)}`).toBe(true);
	return body.result.data as T;
}

/** axe finds no serious or critical violations on the page. */
export async function expectNoSeriousA11yViolations(page: Page) {
	const results = await new AxeBuilder({ page }).analyze();
	const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
	expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
}

/** The page does not scroll sideways at its viewport width. */
export async function expectNoHorizontalScroll(page: Page) {
	const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
	expect(overflow).toBeLessThanOrEqual(0);
}

/** Sign in through the development login (the e2e server has OASIS_DEV_LOGIN=1). */
export async function devLogin(page: Page, name: string) {
	await page.goto('/auth/signin');
	await page.getByLabel('Name').fill(name);
	await page.getByRole('button', { name: 'Sign in as this name' }).click();
	await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
}

/**
 * oasst tree lines (JSONL) for `exchange.import`: one tree per [prompt, reply] topic, the prompt and
 * one accepted assistant reply, ready for export, ids `<idPrefix>-00`, `<idPrefix>-01`, … (the reply
 * `…-a`). A spec picks a language no other spec uses, so task queues and snapshots stay its own.
 */
export function oasstTreeLines(lang: string, idPrefix: string, topics: readonly (readonly [string, string])[]): string {
	return topics
		.map(([prompt, reply], i) => {
			const id = `${idPrefix}-${String(i).padStart(2, '0')}`;
			const message = { lang, review_count: 3, review_result: true, deleted: false, synthetic: false };
			return JSON.stringify({
				message_tree_id: id,
				tree_state: 'ready_for_export',
				prompt: { ...message, message_id: id, text: prompt, role: 'prompter', replies: [{ ...message, message_id: `${id}-a`, parent_id: id, text: reply, role: 'assistant', rank: 0, replies: [] }] }
			});
		})
		.join('\n');
}

/**
 * Hot sampling (custom preset: temperature 5 and repetition penalty 10, the most the chat allows,
 * no top-k, no top-p) for the open chat. The bundled model is trained, so at everyday settings it
 * may end a reply with `<|im_end|>` before a test can stop it. Temperature alone still let it end
 * after a few tokens now and then; `<|im_end|>` is in the prompt (ChatML), so the penalty damps it
 * as well, and a reply streams long enough to be stopped mid-way. Opens the chat
 * settings if they are closed; `labels` name the controls in the interface language.
 */
export async function hotSampling(
	page: Page,
	labels = {
		settings: 'Chat settings',
		preset: 'Sampling preset',
		custom: 'Custom',
		temperature: 'Temperature (0 = greedy)',
		topK: 'Top-k (0 = off)',
		topP: 'Top-p (1 = off)',
		repetitionPenalty: 'Repetition penalty (1 = off)'
	}
): Promise<void> {
	const preset = page.getByLabel(labels.preset);
	if (!(await preset.isVisible())) await page.getByText(labels.settings, { exact: true }).click();
	await preset.selectOption({ label: labels.custom });
	for (const [label, value] of [[labels.temperature, '5'], [labels.topK, '0'], [labels.topP, '1'], [labels.repetitionPenalty, '10']] as const) {
		const field = page.getByLabel(label);
		await field.fill(value);
		await field.blur();
	}
}

/**
 * A finished one-round LoRA job on the bundled `oasis-tiny`, set up as a moderator would: `mod`
 * signed in as `moderator`, `jsonl` imported (exchange.import), a snapshot of `lang`, the job
 * created, and its one unit trained by a headless worker (`bin/oasis.js worker --once` as
 * `volunteer`) against `baseURL`; checks that the job finished with version 1, returns its id.
 */
export async function trainedLoraJob(
	mod: APIRequestContext,
	baseURL: string,
	o: { moderator: string; lang: string; jsonl: string; name: string; objective: 'sft' | 'dpo' | 'reward'; hyper: Record<string, number>; seed: number; volunteer: string }
): Promise<{ id: string }> {
	await trpc(mod, 'auth.devLogin', { name: o.moderator, role: 'moderator' });
	await trpc(mod, 'exchange.import', { jsonl: o.jsonl });
	const snapshot = await trpc<{ id: string; content_hash: string }>(mod, 'snapshot.create', { lang: o.lang });
	const job = await trpc<{ id: string }>(mod, 'training.create', {
		name: o.name,
		objective: o.objective,
		baseModel: 'oasis-tiny',
		snapshot: { id: snapshot.id, contentHash: snapshot.content_hash },
		mode: { kind: 'lora', rank: 2, alpha: 4, targets: ['q', 'v'] },
		hyper: o.hyper,
		rounds: 1,
		workersPerRound: 1,
		seed: o.seed
	});
	// A headless worker trains the one unit; the round closes and the job finishes.
	const child = spawn(process.execPath, ['bin/oasis.js', 'worker', '--server', baseURL, '--dev-login', o.volunteer, '--jobs', job.id, '--once'], { stdio: ['ignore', 'pipe', 'pipe'] });
	let stderr = '';
	child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
	const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
	expect(code, stderr).toBe(0);
	const { job: done } = await trpc<{ job: { state: string; version: number } }>(mod, 'training.get', { jobId: job.id }, 'query');
	expect(done).toMatchObject({ state: 'finished', version: 1 });
	return job;
}
