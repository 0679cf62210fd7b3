/** API shapes, inferred from the server's router type (never written twice). */
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../../../server/router';

export type ApiInputs = inferRouterInputs<AppRouter>;
export type ApiOutputs = inferRouterOutputs<AppRouter>;

/** A handed-out task as the server sends it. */
export type TaskOut = ApiOutputs['tasks']['request'];
export type TaskType = TaskOut['type'];
export type TaskPayload = TaskOut['payload'];
export type TaskRequestType = ApiInputs['tasks']['request']['type'] & string;
export type Availability = ApiOutputs['tasks']['availability'];

/** Task types a volunteer can ask for, in the order the dashboard lists them. */
export const TASK_KINDS = [
	'random',
	'initial_prompt',
	'prompter_reply',
	'assistant_reply',
	'rank_prompter_replies',
	'rank_assistant_replies',
	'label_initial_prompt',
	'label_prompter_reply',
	'label_assistant_reply'
] as const satisfies readonly TaskRequestType[];

export type TaskKind = (typeof TASK_KINDS)[number];

export function isTaskKind(value: string): value is TaskKind {
	return (TASK_KINDS as readonly string[]).includes(value);
}

/** Tasks that need no typing, so they are worth keeping in the offline stock. */
export const STOCK_TYPES = [
	'rank_assistant_replies',
	'rank_prompter_replies',
	'label_assistant_reply',
	'label_prompter_reply',
	'label_initial_prompt'
] as const satisfies readonly TaskType[];
