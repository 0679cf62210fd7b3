/**
 * The device's own store (IndexedDB through Dexie, database `oasis`):
 * - `stock`: tasks fetched ahead of time, so ranking and labelling work with no network;
 * - `outbox`: answers waiting to be sent, each under its client-generated id (one per task);
 * - `drafts`: what is being typed or arranged for a task, saved as the user works.
 * Values must be plain data: store `$state.snapshot(x)`, never a Svelte proxy.
 */
import { Dexie, type DexieOptions, type EntityTable } from 'dexie';
import type { ApiInputs, TaskOut, TaskType } from '../api/types';

/** A task in the stock, bound to the user it was handed to. */
export interface StockedTask extends TaskOut {
	userId: string;
	/** The id every submission for this task carries (also sent with `ack`). */
	clientId: string;
	/** The server has the ack with `clientId`. */
	acked: boolean;
	storedAt: number;
}

/** What an outbox entry sends. */
export type Submission =
	| { kind: 'reply'; input: ApiInputs['tasks']['submitReply'] }
	| { kind: 'ranking'; input: ApiInputs['tasks']['submitRanking'] }
	| { kind: 'labels'; input: ApiInputs['tasks']['submitLabels'] }
	| { kind: 'nack'; input: ApiInputs['tasks']['nack'] };

/**
 * pending: waiting to be sent (also after a network failure); done: the server has it;
 * expired: the task expired before it reached the server; failed: refused for another reason.
 * Expired and failed entries stay until the user dismisses them.
 */
export type OutboxStatus = 'pending' | 'done' | 'expired' | 'failed';

export type OutboxItem = Submission & {
	clientId: string;
	taskId: string;
	taskType: TaskType;
	userId: string;
	/** Whether the task was acked with this client id (else the sync acks it first). */
	acked: boolean;
	status: OutboxStatus;
	attempts: number;
	lastError: string | null;
	rule: string | null;
	/** A line for lists: the start of the text, or what was ranked/labelled. */
	summary: string;
	createdAt: number;
	updatedAt: number;
};

/** A task's unfinished answer. */
export interface Draft {
	taskId: string;
	text?: string;
	order?: number[];
	notRankable?: boolean;
	labels?: Record<string, number>;
	updatedAt: number;
}

export class OasisDb extends Dexie {
	stock!: EntityTable<StockedTask, 'id'>;
	outbox!: EntityTable<OutboxItem, 'clientId'>;
	drafts!: EntityTable<Draft, 'taskId'>;

	constructor(name = 'oasis', options?: DexieOptions) {
		super(name, options);
		this.version(1).stores({
			stock: 'id, userId, type, storedAt',
			outbox: 'clientId, status, taskId, userId, createdAt',
			drafts: 'taskId, updatedAt'
		});
	}
}

let shared: OasisDb | undefined;

/** The browser's database, opened on first use. */
export function oasisDb(): OasisDb {
	shared ??= new OasisDb();
	return shared;
}
