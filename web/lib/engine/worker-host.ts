/**
 * The worker side of the protocol: serves an in-thread {@link Engine} on a message endpoint
 * (the worker's global scope in engine.worker.ts; a MessagePort in tests).
 */
import { engineError, serializeError } from './errors';
import { isWorkerRequest, parseScoreRequest, type MessageEndpoint, type WorkerResponse } from './protocol';
import type { Engine, Scorer } from './types';

/** Serves `engine` on `endpoint` (scoring too when the engine is a {@link Scorer}); returns the function that stops. */
export function serveEngine(endpoint: MessageEndpoint, engine: Engine & Partial<Scorer>): () => void {
	const aborts = new Map<string, AbortController>();
	const send = (m: WorkerResponse) => endpoint.postMessage(m);

	async function handle(id: string, run: () => Promise<WorkerResponse | null>) {
		try {
			const r = await run();
			if (r) send(r);
		} catch (e) {
			send({ kind: 'throw', id, error: serializeError(e) });
		} finally {
			aborts.delete(id);
		}
	}

	const listener = (ev: MessageEvent) => {
		const m = ev.data;
		if (!isWorkerRequest(m)) return;
		switch (m.kind) {
			case 'abort':
				aborts.get(m.id)?.abort();
				return;
			case 'load':
				void handle(m.id, async () => ({
					kind: 'return',
					id: m.id,
					value: await engine.load(m.modelId, (progress) => send({ kind: 'progress', id: m.id, progress }))
				}));
				return;
			case 'unload':
				void handle(m.id, async () => (await engine.unload(), { kind: 'return', id: m.id, value: null }));
				return;
			case 'chat': {
				const ctl = new AbortController();
				aborts.set(m.id, ctl);
				void handle(m.id, async () => {
					const chunks = await engine.chat.completions.create(m.request, { signal: ctl.signal });
					for await (const chunk of chunks) send({ kind: 'chunk', id: m.id, chunk });
					return { kind: 'return', id: m.id, value: null };
				});
				return;
			}
			case 'score': {
				const ctl = new AbortController();
				aborts.set(m.id, ctl);
				void handle(m.id, async () => {
					const parsed = parseScoreRequest(m.request);
					if (!parsed.ok) throw engineError('bad-request', 'errBadScoreRequest', { detail: parsed.error });
					if (!engine.score) throw engineError('bad-request', 'errCannotScore');
					return { kind: 'return', id: m.id, value: await engine.score(parsed.request, { signal: ctl.signal }) };
				});
				return;
			}
		}
	};
	endpoint.addEventListener('message', listener);
	return () => endpoint.removeEventListener('message', listener);
}
