/** Starts the training Web Worker (a module worker: its chunks load on first use, never precached). */
export function spawnTrainWorker(): Worker {
	return new Worker(new URL('./train.worker.ts', import.meta.url), { type: 'module', name: 'oasis-train' });
}
