/**
 * The Web Worker that hosts the engines: the page talks to it through WorkerEngine
 * (worker-client.ts), so generation never blocks the UI thread. A RouterEngine hands each model to
 * its backend: our kernels, Transformers.js (ONNX) or WebLLM (imported on first use).
 */
import { findModel, type ModelEntry } from './catalogue';
import { storedModel } from './download/source';
import { OasisEngine } from './oasis-engine';
import { RouterEngine } from './router-engine';
import { ORT_WASM_PATHS } from './transformers/ort-assets';
import { TransformersEngine } from './transformers/transformers-engine';
import { serveEngine } from './worker-host';
import type { MessageEndpoint } from './protocol';

const scope = self as unknown as MessageEndpoint & { navigator: { gpu?: GPU } };
const gpu = scope.navigator.gpu;
serveEngine(
	scope,
	new RouterEngine({
		// The catalogue, then models downloaded to this device (their entry is saved with the files).
		find: async (id) => findModel(id) ?? ((await storedModel(id).catch(() => null))?.manifest.entry as ModelEntry | undefined),
		backends: {
			oasis: () => new OasisEngine({ gpu }),
			transformers: () => new TransformersEngine({ gpu, wasmPaths: ORT_WASM_PATHS }),
			webllm: async () => new (await import('./webllm/webllm-engine')).WebLlmEngine()
		}
	})
);
