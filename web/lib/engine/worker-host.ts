/**
 * The worker side of the protocol: serves an in-thread {@link Engine} on a message endpoint
 * (the worker's global scope in engine.worker.ts; a MessagePort in tests).
 */
import { serializeError } from './errors';
import { isWorkerRequest, type MessageEndpoint, type WorkerResponse } from './protocol';
import type { Engine } from './types';

export function serveEngine(endpoint: MessageEndpoint, engine: Engine): () => void {
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
		}
	};
	endpoint.addEventListener('message', listener);
	return () => endpoint.removeEventListener('message', listener);
}
