/** Small task flows for integration tests: request → ack → submit through a caller. */
import type { Caller } from './harness.js';

let serial = 0;
const nextId = () => `client-${++serial}`;

type Task = Awaited<ReturnType<Caller['tasks']['request']>>;

/** Request a task of `type` in `lang` and ack it. */
export async function take(caller: Caller, type: Parameters<Caller['tasks']['request']>[0]['type'], lang: string): Promise<Task> {
	const task = await caller.tasks.request({ type, lang });
	await caller.tasks.ack({ taskId: task.id, frontendMessageId: nextId() });
	return task;
}

/** Write a prompt or reply; returns the new message id. */
export async function write(caller: Caller, type: 'initial_prompt' | 'assistant_reply' | 'prompter_reply', lang: string, text = `text ${nextId()}`): Promise<string> {
	const task = await take(caller, type, lang);
	const done = await caller.tasks.submitReply({ taskId: task.id, clientId: nextId(), text });
	return done.messageId!;
}

/** Label the next message of `type` as fine (or spam); returns the labelled message id. */
export async function label(caller: Caller, type: 'label_initial_prompt' | 'label_assistant_reply' | 'label_prompter_reply', lang: string, spam = false): Promise<string> {
	const task = await take(caller, type, lang);
	if (!('validLabels' in task.payload)) throw new Error('not a label task');
	const labels = Object.fromEntries(task.payload.validLabels.map((n) => [n, n === 'spam' ? (spam ? 1 : 0) : 0]));
	await caller.tasks.submitLabels({ taskId: task.id, clientId: nextId(), messageId: task.payload.messageId, labels });
	return task.payload.messageId;
}
