/**
 * The page side: an {@link Engine} that forwards every call to a worker (engine.worker.ts) over
 * the protocol in protocol.ts. The UI thread never runs the model, so it stays responsive.
 */
import { AsyncQueue } from './async-queue';
import { EngineError, deserializeError } from './errors';
import { isWorkerResponse, type MessageEndpoint, type WorkerRequest, type WorkerResponse } from './protocol';
import type { ChatCompletionChunk, ChatCompletionRequest, Engine, EngineInfo, ProgressCallback, RequestOptions, ScoreRequest, Scorer } from './types';

interface Pending {
	onProgress?: ProgressCallback;
	onChunk?: (c: ChatCompletionChunk) => void;
	resolve: (v: EngineInfo | number[] | null) => void;
	reject: (e: EngineError) => void;
}

const uuid = () => globalThis.crypto.randomUUID();

export class WorkerEngine implements Engine, Scorer {
	private readonly pending = new Map<string, Pending>();
	private readonly listener = (ev: MessageEvent) => this.receive(ev.data);

	constructor(private readonly endpoint: MessageEndpoint) {
		endpoint.addEventListener('message', this.listener);
	}

	/** Starts engine.worker.ts and connects to it. */
	static start(): WorkerEngine {
		const worker = new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'oasis-engine' });
		const engine = new WorkerEngine(worker);
		// A worker that fails to start or crashes takes its requests with it.
		worker.addEventListener('error', (ev) => engine.failAll(new EngineError('worker-crashed', `The engine worker stopped (${ev.message || 'error'}). Reload the page.`)));
		return engine;
	}

	/** Rejects every open request (the worker is gone). */
	failAll(e: EngineError): void {
		for (const p of this.pending.values()) p.reject(e);
		this.pending.clear();
	}

	dispose(): void {
		this.endpoint.removeEventListener('message', this.listener);
		this.failAll(new EngineError('worker-crashed', 'The engine was closed.'));
		(this.endpoint as Partial<Worker>).terminate?.();
	}

	private receive(m: unknown) {
		if (!isWorkerResponse(m)) return;
		const p = this.pending.get(m.id);
		if (!p) return;
		const r = m as WorkerResponse;
		switch (r.kind) {
			case 'progress':
				p.onProgress?.(r.progress);
				return;
			case 'chunk':
				p.onChunk?.(r.chunk);
				return;
			case 'return':
				this.pending.delete(r.id);
				p.resolve(r.value);
				return;
			case 'throw':
				this.pending.delete(r.id);
				p.reject(deserializeError(r.error));
		}
	}

	private call(req: WorkerRequest, p: Omit<Pending, 'resolve' | 'reject'> = {}): Promise<EngineInfo | number[] | null> {
		return new Promise((resolve, reject) => {
			this.pending.set(req.id, { ...p, resolve, reject });
			this.endpoint.postMessage(req);
		});
	}

	async load(modelId: string, onProgress?: ProgressCallback): Promise<EngineInfo> {
		return (await this.call({ kind: 'load', id: uuid(), modelId }, { onProgress })) as EngineInfo;
	}

	async unload(): Promise<void> {
		await this.call({ kind: 'unload', id: uuid() });
	}

	/** Rewards from the worker's reward model (our engine); aborting stops before the next conversation. */
	async score(request: ScoreRequest, options: RequestOptions = {}): Promise<number[]> {
		const id = uuid();
		const abort = () => this.endpoint.postMessage({ kind: 'abort', id } satisfies WorkerRequest);
		// Plain data only: a Svelte proxy would fail to clone.
		const plain = JSON.parse(JSON.stringify(request)) as ScoreRequest;
		const done = this.call({ kind: 'score', id, request: plain });
		if (options.signal?.aborted) abort();
		else options.signal?.addEventListener('abort', abort, { once: true });
		return (await done) as number[];
	}

	readonly chat = {
		completions: {
			create: async (request: ChatCompletionRequest, options: RequestOptions = {}): Promise<AsyncIterable<ChatCompletionChunk>> => {
				const id = uuid();
				const abort = () => this.endpoint.postMessage({ kind: 'abort', id } satisfies WorkerRequest);
				const queue = new AsyncQueue<ChatCompletionChunk>(abort);
				// Plain data only: a Svelte proxy in `messages` would fail to clone.
				const plain = JSON.parse(JSON.stringify(request)) as ChatCompletionRequest;
				this.call({ kind: 'chat', id, request: plain }, { onChunk: (c) => queue.push(c) }).then(
					() => queue.end(),
					(e) => queue.fail(e)
				);
				if (options.signal?.aborted) abort();
				else options.signal?.addEventListener('abort', abort, { once: true });
				return queue;
			}
		}
	};
}
