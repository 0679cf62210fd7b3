/**
 * WAL checkpoints for a long-running server, mostly off its event loop. In WAL mode SQLite
 * copies the log back into the database file ("checkpoints") from inside whichever commit
 * crosses `wal_autocheckpoint` pages (1,000 by default): with many small commits, that is the
 * server's thread copying pages and waiting on fsync every few dozen requests.
 *
 * Here a worker thread with its own connection to the file runs a PASSIVE checkpoint every
 * `intervalMs`: it copies the frames no reader still needs, without blocking readers or the
 * writer. Under a steady stream of commits it rarely finds the log fully copied at the moment a
 * write begins, which is when SQLite restarts the log, so the server's connection keeps a
 * threshold of its own (BACKSTOP_PAGES): when the log reaches it, the commit checkpoints what
 * the worker has not copied yet (little) and the next write restarts the log. If the worker
 * falls behind or dies, that threshold is SQLite's own checkpointing, only less often.
 * Measured with `npm run bench:server` (SQLite, 1 process): about 450 → 515 cycles/s.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The server connection's own checkpoint threshold while the worker runs, in pages (16 MiB at 4 KiB). */
export const BACKSTOP_PAGES = 4_000;

// CommonJS, evaluated in the worker; `module` is better-sqlite3 as the server resolved it.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.module);
const db = new SQLite(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
let failures = 0;
const checkpoint = () => {
	try {
		db.pragma('wal_checkpoint(PASSIVE)');
		failures = 0;
	} catch (error) {
		if (++failures === 10) parentPort.postMessage({ error: String(error && error.message) });
	}
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
	clearInterval(timer);
	checkpoint();
	db.close();
	parentPort.close();
});
`;

export interface Checkpointer {
	/** Checkpoint once more, close the worker's connection and end the thread. */
	stop(): Promise<void>;
}

/**
 * Start checkpointing the SQLite database at `path` (already in WAL mode) every `intervalMs`
 * on a worker thread. `onError` hears if checkpoints keep failing (the backstop still holds).
 */
export function startCheckpointer(path: string, options: { intervalMs?: number; onError?: (message: string) => void } = {}): Checkpointer {
	const module = createRequire(import.meta.url).resolve('better-sqlite3');
	const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, path, intervalMs: options.intervalMs ?? 200 } });
	worker.unref();
	worker.on('message', (m: { error?: string }) => {
		if (m.error) options.onError?.(m.error);
	});
	worker.on('error', (error) => options.onError?.(error.message));
	const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
	return {
		async stop() {
			worker.postMessage('stop');
			await exited;
		}
	};
}
