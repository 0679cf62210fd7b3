/**
 * The training Web Worker: runs the shared worker loop (server/training/worker/loop.ts
 * `TrainingWorker`, the same one `npx oasis worker` runs) off the main thread, talking to the
 * server with its own tRPC client (same origin, so the session cookie goes along). The page sends
 * start/pause/resume/stop; the worker posts the loop's events, `paused`, `fatal` and `ended`.
 *
 * Pausing holds the loop before it asks for its next unit (a unit under way is finished and
 * sent); stopping aborts it at once (a unit under way is dropped; its lease expires).
 */
/// <reference lib="webworker" />
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import type { AppRouter } from '../../../server/router';
import { clientApi, type WorkerApi } from '../../../server/training/worker/api';
import { WorkerStopped } from '../../../server/training/worker/local';
import { TrainingWorker, WorkerFatal } from '../../../server/training/worker/loop';
import { commandSchema, type TrainEvent, type TrainText } from './protocol';
import { browserTrainerFor } from './trainers';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const trpc = createTRPCClient<AppRouter>({
	links: [
		httpBatchLink({
			url: '/api/trpc',
			headers: () => ({ 'x-oasis-csrf': '1' }),
			fetch: (url, init) => fetch(url, { ...init, credentials: 'same-origin' })
		})
	]
});
const server = clientApi(trpc);

let controller: AbortController | null = null;
let paused = false;
let release: (() => void) | null = null;

const post = (event: TrainEvent) => scope.postMessage(event);

/** Resolves at once, or when the page resumes (or stops) the worker. */
function gate(): Promise<void> {
	if (!paused) return Promise.resolve();
	post({ event: 'paused' });
	return new Promise((resolve) => (release = resolve));
}

function unpause() {
	paused = false;
	release?.();
	release = null;
}

/** The server, held at the gate before every lease. */
function gated(signal: AbortSignal): WorkerApi {
	return {
		...server,
		async lease(input) {
			await gate();
			if (signal.aborted) throw new WorkerStopped();
			return server.lease(input);
		}
	};
}

async function run(workerId: string, jobId: string | undefined, signal: AbortSignal): Promise<void> {
	const worker = new TrainingWorker({ api: gated(signal), workerId, jobs: jobId ? [jobId] : undefined, trainerFor: browserTrainerFor, onEvent: post });
	try {
		await worker.run({ signal });
	} catch (error) {
		if (error instanceof WorkerStopped) return;
		const detail = error instanceof Error ? error.message : String(error);
		const message = error instanceof WorkerFatal ? error.message : `the training worker failed: ${detail}`;
		// The page words it from the key (trainers.ts stops carry one); the message is the English.
		const text = error instanceof WorkerFatal ? (error as WorkerFatal & { text?: TrainText }).text : { key: 'fatalFailed', values: { detail } };
		post({ event: 'fatal', message: message.charAt(0).toUpperCase() + message.slice(1) + '.', ...(text ? { text } : {}) });
	}
}

scope.onmessage = (e: MessageEvent) => {
	const parsed = commandSchema.safeParse(e.data);
	if (!parsed.success) return;
	const command = parsed.data;
	if (command.type === 'start') {
		if (controller) return;
		const current = (controller = new AbortController());
		paused = command.paused;
		void run(command.workerId, command.jobId, current.signal).finally(() => {
			if (controller === current) controller = null;
			post({ event: 'ended' });
		});
	} else if (command.type === 'pause') {
		paused = true;
	} else if (command.type === 'resume') {
		unpause();
	} else {
		controller?.abort();
		unpause();
	}
};
