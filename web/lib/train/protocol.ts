/**
 * Messages between the page (client.svelte.ts) and the training Web Worker (train.worker.ts).
 * Commands into the worker are checked with zod; events out of it are the shared worker loop's
 * (server/training/worker/loop.ts) plus the browser's own: paused, fatal (a stop the volunteer must
 * act on, in English words plus, where it has one, its catalogue key for the page to word) and
 * ended (the loop has returned).
 */
import { z } from 'zod';
import type { WorkerEvent as LoopEvent } from '../../../server/training/worker/loop';

export const commandSchema = z.discriminatedUnion('type', [
	z.object({
		type: z.literal('start'),
		workerId: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/),
		jobId: z.string().uuid().optional(),
		/** Start held at the gate (the tab is hidden or the battery low already). */
		paused: z.boolean().default(false)
	}),
	z.object({ type: z.literal('pause') }),
	z.object({ type: z.literal('resume') }),
	z.object({ type: z.literal('stop') })
]);
export type Command = z.input<typeof commandSchema>;

/**
 * A sentence of the training catalogue as its key and values (the worker cannot know the
 * interface language; the page words it).
 */
export interface TrainText {
	key: string;
	values?: Record<string, string | number>;
}

export type TrainEvent = LoopEvent | { event: 'paused' } | { event: 'fatal'; message: string; text?: TrainText } | { event: 'ended' };
