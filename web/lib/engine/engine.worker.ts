/**
 * The Web Worker that hosts the engines: the page talks to it through WorkerEngine
 * (worker-client.ts), so generation never blocks the UI thread. A RouterEngine hands each model to
 * its backend: our kernels, Transformers.js (ONNX) or WebLLM (imported on first use).
 */
import { findModel, type ModelEntry } from './catalogue';
import { storedCache } from './download/cache';
import { storedModel } from './download/source';
import { openOpfsStore } from './download/store';
import { OasisEngine } from './oasis-engine';
import { RouterEngine } from './router-engine';
import { ORT_WASM_PATHS } from './transformers/ort-assets';
import { TransformersEngine } from './transformers/transformers-engine';
import { serveEngine } from './worker-host';
import type { MessageEndpoint } from './protocol';

const scope = self as unknown as MessageEndpoint & { navigator: { gpu?: GPU } };
const gpu = scope.navigator.gpu;
// The catalogue, then models downloaded to this device (their entry is saved with the files).
const find = async (id: string) => findModel(id) ?? ((await storedModel(id).catch(() => null))?.manifest.entry as ModelEntry | undefined);
serveEngine(
	scope,
	new RouterEngine({
		find,
		backends: {
			oasis: () => new OasisEngine({ gpu }),
			transformers: () =>
				new TransformersEngine({
					gpu,
					wasmPaths: ORT_WASM_PATHS,
					find,
					stored: async (id) => {
						const store = await openOpfsStore();
						return store ? storedCache(store, id) : null;
					}
				}),
			webllm: async () => new (await import('./webllm/webllm-engine')).WebLlmEngine()
		}
	})
);
