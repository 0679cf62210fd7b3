import { afterEach, describe, expect, it } from 'vitest';
import { AsyncQueue } from './async-queue';
import { EngineError, deserializeError, serializeError, toEngineError } from './errors';
import { isWorkerRequest, makeChunk, parseScoreRequest, type MessageEndpoint } from './protocol';
import { collect, type ChatCompletionChunk, type ChatCompletionRequest, type Engine, type ProgressCallback, type RequestOptions, type ScoreRequest, type Scorer } from './types';
import { WorkerEngine } from './worker-client';
import { serveEngine } from './worker-host';

/** An engine with no GPU: echoes the last message a word per chunk, slowly, until aborted. */
class FakeEngine implements Engine {
	loaded: string | null = null;
	lastRequest: ChatCompletionRequest | null = null;
	async load(modelId: string, onProgress?: ProgressCallback) {
		if (modelId === 'huge') throw Object.assign(new Error('too big'), { name: 'ModelError', code: 'too-large' });
		onProgress?.({ progress: 0.5, text: 'half' });
		onProgress?.({ progress: 1, text: 'Ready' });
		this.loaded = modelId;
		return { modelId, adapter: 'fake', f16: false, loadMs: 1 };
	}
	async unload() {
		this.loaded = null;
	}
	readonly chat = {
		completions: {
			create: async (request: ChatCompletionRequest, options: RequestOptions = {}) => {
				if (!this.loaded) throw new EngineError('not-loaded', 'No model is loaded; load one first.');
				this.lastRequest = request;
				const words = request.messages.at(-1)!.content.split(' ');
				const signal = options.signal;
				async function* gen(): AsyncGenerator<ChatCompletionChunk> {
					for (let i = 0; i < (request.max_tokens ?? words.length); i++) {
						if (signal?.aborted) return yield makeChunk('x', 'fake', undefined, 'abort');
						yield makeChunk('x', 'fake', words[i % words.length] + ' ', null, i === 0);
						await new Promise((r) => setTimeout(r, 5));
					}
					yield makeChunk('x', 'fake', undefined, 'length');
				}
				return gen();
			}
		}
	};
}

let ports: MessagePort[] = [];
afterEach(() => {
	for (const p of ports) p.close();
	ports = [];
});

function connect(engine: Engine & Partial<Scorer>) {
	const ch = new MessageChannel();
	ports.push(ch.port1, ch.port2);
	serveEngine(ch.port2 as unknown as MessageEndpoint, engine);
	const client = new WorkerEngine(ch.port1 as unknown as MessageEndpoint);
	ch.port1.start();
	ch.port2.start();
	return client;
}

const req = (content: string, max_tokens?: number): ChatCompletionRequest => ({ messages: [{ role: 'user', content }], stream: true, max_tokens });

describe('worker protocol', () => {
	it('loads with progress, streams chunks and returns', async () => {
		const fake = new FakeEngine();
		const client = connect(fake);
		const progress: number[] = [];
		const info = await client.load('tiny', (p) => progress.push(p.progress));
		expect(info.modelId).toBe('tiny');
		expect(progress).toEqual([0.5, 1]);
		const { text, finishReason } = await collect(await client.chat.completions.create(req('a b c')));
		expect(text).toBe('a b c ');
		expect(finishReason).toBe('length');
	});

	it('maps errors thrown in the worker to named errors on the page', async () => {
		const client = connect(new FakeEngine());
		await expect(client.chat.completions.create(req('x')).then(collect)).rejects.toMatchObject({ name: 'EngineError', code: 'not-loaded' });
		const err = await client.load('huge').catch((e) => e);
		expect(err).toBeInstanceOf(EngineError);
		expect(err.code).toBe('out-of-memory');
		expect(err.remedy).toBe('smaller-model');
	});

	it('aborts a stream through the signal and through breaking out of the loop', async () => {
		const fake = new FakeEngine();
		const client = connect(fake);
		await client.load('tiny');
		const ctl = new AbortController();
		const chunks: ChatCompletionChunk[] = [];
		for await (const c of await client.chat.completions.create(req('w', 10_000), { signal: ctl.signal })) {
			chunks.push(c);
			if (chunks.length === 3) ctl.abort();
		}
		expect(chunks.at(-1)!.choices[0].finish_reason).toBe('abort');
		expect(chunks.length).toBeLessThan(10);
		// Breaking out stops the worker too: a new request is served right after.
		for await (const _ of await client.chat.completions.create(req('w', 10_000))) break;
		expect((await collect(await client.chat.completions.create(req('k', 2)))).text).toBe('k k ');
	});

	it('sends plain data (no proxies) and ignores foreign messages', () => {
		expect(isWorkerRequest({ kind: 'chat', id: '1', request: req('x') })).toBe(true);
		expect(isWorkerRequest({ kind: 'nope', id: '1' })).toBe(false);
		expect(isWorkerRequest({ kind: 'load' })).toBe(false);
	});
});

/** A scorer with no GPU: a reply's reward is its length; slow, so a test can stop it between conversations. */
class LengthScorer extends FakeEngine implements Scorer {
	requests: ScoreRequest[] = [];
	async score(request: ScoreRequest, options: RequestOptions = {}) {
		this.requests.push(request);
		const out: number[] = [];
		for (const c of request.conversations) {
			if (options.signal?.aborted) throw new EngineError('bad-request', 'Scoring was stopped.');
			out.push(c.at(-1)!.content.length);
			await new Promise((r) => setTimeout(r, 20));
		}
		return out;
	}
}

const scoreReq = (...replies: string[]): ScoreRequest => ({
	baseModel: 'oasis-tiny',
	jobId: 'job-1',
	version: 1,
	conversations: replies.map((r) => [
		{ role: 'user', content: 'hi' },
		{ role: 'assistant', content: r }
	])
});

describe('score over the worker protocol', () => {
	it('returns one reward per conversation, in order', async () => {
		const scorer = new LengthScorer();
		const client = connect(scorer);
		expect(await client.score(scoreReq('ab', 'abcd', 'a'))).toEqual([2, 4, 1]);
		expect(scorer.requests[0]!.conversations).toHaveLength(3);
	});

	it('refuses malformed requests in words before the engine sees them', async () => {
		const scorer = new LengthScorer();
		const client = connect(scorer);
		const noReply = { ...scoreReq('x'), conversations: [[{ role: 'user' as const, content: 'hi' }]] };
		const err = await client.score(noReply).catch((e) => e);
		expect(err).toMatchObject({ name: 'EngineError', code: 'bad-request' });
		expect(err.message).toContain('must end in the assistant reply');
		await expect(client.score({ ...scoreReq('x'), version: 0 })).rejects.toThrow(/version starts at 1/);
		await expect(client.score({ ...scoreReq(), conversations: [] })).rejects.toThrow(/at least one conversation/);
		expect(scorer.requests).toHaveLength(0);
	});

	it('says so when the engine cannot score', async () => {
		const client = connect(new FakeEngine());
		await expect(client.score(scoreReq('x'))).rejects.toThrow(/cannot score replies/);
	});

	it('stops between conversations when aborted', async () => {
		const client = connect(new LengthScorer());
		const ctl = new AbortController();
		const p = client.score(scoreReq('a', 'b', 'c', 'd', 'e', 'f'), { signal: ctl.signal });
		setTimeout(() => ctl.abort(), 30);
		await expect(p).rejects.toThrow(/stopped/);
	});

	it('validates the request shape (parseScoreRequest)', () => {
		expect(parseScoreRequest(scoreReq('x'))).toMatchObject({ ok: true });
		const bad = parseScoreRequest({ ...scoreReq('x'), baseModel: '../etc' });
		expect(bad).toMatchObject({ ok: false });
		expect(!bad.ok && bad.error).toMatch(/baseModel/);
		expect(parseScoreRequest({ ...scoreReq(...Array(17).fill('x')) })).toMatchObject({ ok: false });
		expect(isWorkerRequest({ kind: 'score', id: '1', request: scoreReq('x') })).toBe(true);
	});
});

describe('error mapping', () => {
	const named = (name: string, code: string, message = 'm') => Object.assign(new Error(message), { name, code });
	it.each([
		[named('GpuError', 'no-webgpu'), 'no-webgpu', 'none'],
		[named('GpuError', 'device-lost'), 'device-lost', 'reload'],
		[named('GpuError', 'gpu-validation', 'Out of memory while allocating'), 'out-of-memory', 'smaller-model'],
		[named('GpuError', 'limit-exceeded'), 'out-of-memory', 'smaller-model'],
		[named('ModelError', 'missing-file'), 'model-load', 'retry'],
		[new RangeError('Array buffer allocation failed'), 'out-of-memory', 'smaller-model'],
		[new Error('boom'), 'internal', 'reload']
	])('%s → %s', (e, code, remedy) => {
		const mapped = toEngineError(e);
		expect(mapped.code).toBe(code);
		expect(mapped.remedy).toBe(remedy);
		const back = deserializeError(structuredClone(serializeError(e)));
		expect(back.code).toBe(code);
		expect(back.message).toBe(mapped.message);
	});
});

describe('AsyncQueue', () => {
	it('delivers items pushed before and after the consumer waits, then ends', async () => {
		const q = new AsyncQueue<number>();
		q.push(1);
		setTimeout(() => (q.push(2), q.end()), 1);
		const got: number[] = [];
		for await (const x of q) got.push(x);
		expect(got).toEqual([1, 2]);
	});
	it('rejects after the items queued before a failure, and reports cancellation', async () => {
		let cancelled = false;
		const q = new AsyncQueue<number>(() => (cancelled = true));
		q.push(1);
		q.fail(new Error('x'));
		const it = q[Symbol.asyncIterator]();
		expect(await it.next()).toEqual({ value: 1, done: false });
		await expect(it.next()).rejects.toThrow('x');
		const q2 = new AsyncQueue<number>(() => (cancelled = true));
		await q2[Symbol.asyncIterator]().return!();
		expect(cancelled).toBe(true);
	});
});
