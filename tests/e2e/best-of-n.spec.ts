import { expect, test, type Page } from '@playwright/test';
import { expectNoHorizontalScroll, expectNoSeriousA11yViolations, trainedLoraJob, trpc } from './helpers';

// Best of n with a trained reward model: a moderator creates a *reward* LoRA job on the bundled
// `oasis-tiny` over a snapshot of ranked replies (two per prompt), a headless worker trains its one
// unit, and in the chat it becomes the reward model: with best of 3 each prompt gets three replies
// as sibling branches, each scored by the reward model (a second model in the engine worker, the
// job's SEQ_CLS adapter over oasis-tiny), the best one shown — and the scores survive a reload;
// a regenerated batch takes the "picked" mark from the first one.
// Its trees are Korean ('ko'), so other specs' queues and snapshots are untouched.

const TOPICS: [string, string, string][] = [
	['빵은 어떻게 만들어요?', '밀가루, 물, 효모, 소금을 반죽해 부풀린 뒤 뜨거운 오븐에 구워요.', '빵집에 가세요.'],
	['한국의 수도는 어디예요?', '한국의 수도는 서울이고, 한강이 도시를 가로질러 흘러요.', '몰라요.'],
	['자전거는 어떻게 배워요?', '안장을 낮추고 잔디밭에서 발로 밀며 균형부터 익혀 보세요.', '그냥 타세요.'],
	['하늘은 왜 파래요?', '햇빛이 공기에 흩어질 때 파란빛이 다른 색보다 더 많이 흩어져요.', '원래 그래요.'],
	['선인장은 어떻게 키워요?', '물은 조금만, 햇빛은 많이 주고 흙이 마른 뒤에 물을 주세요.', '물을 매일 주세요.'],
	['아침으로 뭘 먹을까요?', '과일과 귀리를 넣은 요거트는 빨리 만들고 오래 든든해요.', '아무거나요.'],
	['자기소개서는 어떻게 써요?', '지원하는 자리를 밝히고, 잘하는 일을 예로 보여 준 뒤 짧게 마무리하세요.', '길게 쓰세요.'],
	['풍력 발전기는 어떻게 작동해요?', '바람이 날개를 돌리고, 축에 연결된 발전기가 전기를 만들어요.', '바람이요.'],
	['밥은 어떻게 지어요?', '쌀을 씻어 물을 1.2배 붓고 끓인 뒤 약불로 뜸을 들이세요.', '전자레인지요.'],
	['고양이 이름을 뭐라고 할까요?', '나비, 호랑이, 구름은 어때요? 소리 내어 부르기 좋은 이름을 고르세요.', '고양이요.'],
	['달리기는 어떻게 시작해요?', '일주일에 세 번, 1분 달리기와 1분 걷기를 번갈아 하며 천천히 늘리세요.', '빨리 뛰세요.'],
	['허브는 어떻게 보관해요?', '물컵에 꽂아 냉장고에 두거나, 다져서 기름에 얼려 두세요.', '버리세요.']
];

/** One tree per topic: a prompt with two ranked assistant replies (a preference pair each). */
function treeLines(): string {
	return TOPICS.map(([prompt, good, bad], i) => {
		const id = `ko-reward-${String(i).padStart(2, '0')}`;
		const message = { lang: 'ko', review_count: 3, review_result: true, deleted: false, synthetic: false };
		const reply = (suffix: string, text: string, rank: number) => ({ ...message, message_id: `${id}-${suffix}`, parent_id: id, text, role: 'assistant', rank, replies: [] });
		return JSON.stringify({
			message_tree_id: id,
			tree_state: 'ready_for_export',
			prompt: { ...message, message_id: id, text: prompt, role: 'prompter', replies: [reply('a', good, 0), reply('b', bad, 1)] }
		});
	}).join('\n');
}

const assistant = (page: Page) => page.locator('[data-testid=message][data-role=assistant]');

/** The rewards of the three candidates (visiting each branch) and the index shown first. */
async function candidateRewards(page: Page, previous: string, next: string): Promise<{ rewards: number[]; shown: number; shownBest: string | null }> {
	const reply = assistant(page).last();
	const position = reply.getByTestId('branch-position');
	await expect(position).toHaveText(/^[123]\/3$/);
	const shown = Number((await position.textContent())!.split('/')[0]) - 1;
	const shownBest = await reply.getByTestId('message-reward').getAttribute('data-best');
	for (let i = shown; i > 0; i--) await reply.getByRole('button', { name: previous }).click();
	await expect(position).toHaveText('1/3');
	const rewards: number[] = [];
	for (let i = 0; i < 3; i++) {
		if (i > 0) await reply.getByRole('button', { name: next }).click();
		await expect(position).toHaveText(`${i + 1}/3`);
		rewards.push(Number(await reply.getByTestId('message-reward').getAttribute('data-reward')));
	}
	// Back to the one that was shown.
	for (let i = 2; i > shown; i--) await reply.getByRole('button', { name: previous }).click();
	return { rewards, shown, shownBest };
}

test('best of 3 with a trained reward model: three scored branches, the best one shown, kept over a reload, in German too', async ({ browser, baseURL }) => {
	test.setTimeout(180_000);
	const modContext = await browser.newContext();
	const mod = modContext.request;
	const name = 'Korean reward model';
	const job = await trainedLoraJob(mod, baseURL!, {
		moderator: 'Reward Moderator',
		lang: 'ko',
		jsonl: treeLines(),
		name,
		objective: 'reward',
		hyper: { lr: 1e-2, innerSteps: 1, batchTokens: 200, sequenceTokens: 64, validationExamples: 4, lossTolerance: 10, leaseSeconds: 600, roundSeconds: 3600 },
		seed: 13,
		volunteer: 'Reward Volunteer'
	});
	// Offered with the window it was trained on, which the chat keeps and scores with.
	const offers = await trpc<{ jobId: string; objective: string; version: number; sequenceTokens: number }[]>(mod, 'training.adapters', { baseModel: 'oasis-tiny' }, 'query');
	expect(offers.find((o) => o.jobId === job.id)).toMatchObject({ objective: 'reward', version: 1, sequenceTokens: 64 });

	const context = await browser.newContext();
	const page = await context.newPage();
	await page.goto('/chat');
	await page.waitForFunction(() => navigator.serviceWorker?.controller !== null, undefined, { timeout: 30_000 });
	await page.reload();
	await expect(page.getByTestId('engine-status')).toContainText('Model ready', { timeout: 45_000 });
	await page.getByRole('button', { name: 'New chat' }).click();
	await page.getByText('Chat settings').click();
	const maxTokens = page.getByLabel('Max reply length (tokens)');
	await maxTokens.fill('4');
	await maxTokens.blur();

	// Best of 3 without a reward model says what is missing; the reward job is on offer.
	await page.getByLabel('Best of n (replies per prompt)').selectOption('3');
	await expect(page.getByText('Pick a reward model to compare the replies; until then each prompt gets one reply.')).toBeVisible();
	const picker = page.getByLabel('Reward model', { exact: true });
	const option = `Oasis tiny (bundled) + reward model “${name}” (version 1)`;
	await expect(picker.locator('option', { hasText: option })).toHaveCount(1);
	// It is no chat adapter: the LoRA picker does not offer it.
	await expect(page.getByLabel('LoRA adapter').locator('option', { hasText: name })).toHaveCount(0);
	await picker.selectOption({ label: option });
	await expect(page.getByText('The reward model is saved on this device and works offline.')).toBeVisible({ timeout: 30_000 });
	await expect(page.getByText('Pick a reward model to compare the replies')).toHaveCount(0);

	await page.getByLabel('Message', { exact: true }).fill('안녕하세요!');
	await page.getByRole('button', { name: 'Send' }).click();
	await expect(page.getByTestId('best-of-status')).toHaveText('Picked the best of 3 replies.', { timeout: 60_000 });
	await expect(page.getByTestId('engine-problem')).toHaveCount(0);
	const first = await candidateRewards(page, 'Previous version', 'Next version');
	expect(first.rewards.every(Number.isFinite)).toBe(true);
	expect(first.rewards[first.shown]).toBe(Math.max(...first.rewards));
	expect(first.shownBest).toBe('true');
	await expect(assistant(page).last().getByTestId('message-reward')).toContainText(/reward -?\d+\.\d\d · best of 3/);
	await expect(assistant(page).last().getByTestId('message-reward')).toContainText('picked: highest reward');

	// After a reload (in German now): the same branch on screen, the same scores.
	await page.evaluate(() => localStorage.setItem('oasis.locale', 'de'));
	await page.reload();
	await expect(page.locator('html')).toHaveAttribute('lang', 'de');
	const again = await candidateRewards(page, 'Vorherige Version', 'Nächste Version');
	expect(again).toEqual(first);
	await expect(assistant(page).last().getByTestId('message-reward')).toContainText(/Belohnung -?\d+,\d\d · beste von 3/);
	await expect(assistant(page).last().getByTestId('message-reward')).toContainText('ausgewählt: höchste Belohnung');
	await page.getByText('Chat-Einstellungen').click();
	await expect(page.getByLabel('Best of n (Antworten pro Prompt)')).toHaveValue('3');
	await expect(page.getByLabel('Belohnungsmodell', { exact: true })).toHaveValue(`oasis-tiny.lora.${job.id}.v1`);
	await expect(page.getByText('Best of n (replies per prompt)')).toHaveCount(0);
	await expect(page.getByText('picked: highest reward')).toHaveCount(0);
	await expectNoSeriousA11yViolations(page);
	await page.setViewportSize({ width: 360, height: 740 });
	await expectNoHorizontalScroll(page);

	// Regenerating adds a second batch of three under the same prompt: its winner is shown and is
	// the only reply still marked picked; the first batch's winner keeps its score, not the mark.
	const reply = assistant(page).last();
	await reply.getByRole('button', { name: 'Neu erzeugen' }).click();
	await expect(reply.getByTestId('branch-position')).toHaveText(/^[456]\/6$/, { timeout: 60_000 });
	await expect(page.getByTestId('best-of-status')).toHaveText('Die beste von 3 Antworten wurde ausgewählt.', { timeout: 60_000 });
	await expect(reply.getByTestId('message-reward')).toHaveAttribute('data-best', 'true');
	const shownNow = Number((await reply.getByTestId('branch-position').textContent())!.split('/')[0]) - 1;
	for (let i = shownNow; i > first.shown; i--) await reply.getByRole('button', { name: 'Vorherige Version' }).click();
	await expect(reply.getByTestId('branch-position')).toHaveText(`${first.shown + 1}/6`);
	await expect(reply.getByTestId('message-reward')).toHaveAttribute('data-reward', String(first.rewards[first.shown]));
	await expect(reply.getByTestId('message-reward')).toHaveAttribute('data-best', 'false');
	await expect(reply.getByTestId('message-reward')).not.toContainText('ausgewählt');

	await context.close();
	await modContext.close();
});
