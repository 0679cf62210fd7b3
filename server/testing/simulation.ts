/**
 * Simulated volunteers driving the task API (request → ack → submit) through tRPC callers
 * only. Honest on the whole: labels mostly accept, rankings are random permutations; a few
 * spam votes, not-rankable ballots and skips keep the other paths busy. Seeded, so a run is
 * repeatable.
 */
import type { Caller, Harness } from './harness.js';
import { seededRandom } from './random.js';

export interface SimulationOptions {
	users: number;
	seed: number;
	/** Stop when this returns true (checked every `checkEvery` cycles). */
	until: () => Promise<boolean>;
	maxCycles: number;
	checkEvery?: number;
	/** Milliseconds the clock moves per cycle. */
	tickMs?: number;
	/** Volunteers working at the same time (default 1: strictly one after another). */
	concurrency?: number;
}

export interface SimulationResult {
	cycles: number;
	byType: Record<string, number>;
	noTask: number;
	skips: number;
	/** Submissions refused by a rule (races between concurrent volunteers), by rule. */
	refused: Record<string, number>;
	finished: boolean;
}

type Task = Awaited<ReturnType<Caller['tasks']['request']>>;

function shuffled(n: number, random: () => number): number[] {
	const out = Array.from({ length: n }, (_, i) => i);
	for (let i = n - 1; i > 0; i--) {
		const j = Math.floor(random() * (i + 1));
		[out[i], out[j]] = [out[j], out[i]];
	}
	return out;
}

async function work(caller: Caller, task: Task, random: () => number, serial: number, name: string): Promise<'done' | 'skipped'> {
	const clientId = `sim-${serial}`;
	await caller.tasks.ack({ taskId: task.id, frontendMessageId: clientId });
	const p = task.payload;
	switch (p.type) {
		case 'initial_prompt':
			await caller.tasks.submitReply({ taskId: task.id, clientId, text: `Question ${serial} from ${name}: how do I do thing ${serial}?` });
			break;
		case 'prompter_reply':
		case 'assistant_reply':
			if (random() < 0.02) {
				await caller.tasks.nack({ taskId: task.id, reason: 'cannot answer this' });
				return 'skipped';
			}
			await caller.tasks.submitReply({ taskId: task.id, clientId, text: `${p.type === 'assistant_reply' ? 'Answer' : 'Follow-up'} ${serial} by ${name}.` });
			break;
		case 'rank_prompter_replies':
		case 'rank_assistant_replies': {
			const notRankable = random() < 0.05;
			await caller.tasks.submitRanking({ taskId: task.id, clientId, ranking: shuffled(p.replyMessages.length, random), notRankable });
			break;
		}
		default: {
			const spam = random() < 0.05 ? 1 : 0;
			const labels: Record<string, number> = {};
			for (const name of p.validLabels) labels[name] = name === 'spam' ? spam : name === 'quality' ? 0.75 : 0;
			await caller.tasks.submitLabels({ taskId: task.id, clientId, messageId: p.messageId, labels });
		}
	}
	return 'done';
}

const ruleOf = (error: unknown) => (error as { cause?: { rule?: string } }).cause?.rule;

/** Run volunteers (picked at random) until `until` holds or `maxCycles` cycles ran. */
export async function simulate(h: Harness, o: SimulationOptions): Promise<SimulationResult> {
	const random = seededRandom(o.seed);
	const users = await Promise.all(Array.from({ length: o.users }, (_, i) => h.user(`volunteer-${i}`)));
	const result: SimulationResult = { cycles: 0, byType: {}, noTask: 0, skips: 0, refused: {}, finished: false };
	let serial = 0;
	let attempts = 0;
	const worker = async () => {
		while (attempts < o.maxCycles && !result.finished) {
			attempts++;
			h.clock.ms += o.tickMs ?? 1000;
			const index = Math.floor(random() * users.length);
			const user = users[index];
			let task: Task;
			try {
				task = await user.caller.tasks.request({ type: 'random', lang: 'en' });
			} catch (error) {
				const rule = ruleOf(error);
				if (rule === 'no_tasks') result.noTask++;
				else if (rule === 'too_many_pending') result.refused[rule] = (result.refused[rule] ?? 0) + 1;
				else throw error;
				continue;
			}
			const id = ++serial;
			try {
				if ((await work(user.caller, task, random, id, `volunteer-${index}`)) === 'skipped') result.skips++;
			} catch (error) {
				const rule = ruleOf(error);
				if (!rule || (o.concurrency ?? 1) === 1) throw error; // alone, every submission must pass
				result.refused[rule] = (result.refused[rule] ?? 0) + 1;
				continue;
			}
			result.cycles++;
			result.byType[task.type] = (result.byType[task.type] ?? 0) + 1;
			if (result.cycles % (o.checkEvery ?? 25) === 0 && (await o.until())) result.finished = true;
		}
	};
	await Promise.all(Array.from({ length: o.concurrency ?? 1 }, worker));
	return result;
}
