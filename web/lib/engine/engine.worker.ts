/**
 * The Web Worker that hosts our engine: the page talks to it through WorkerEngine
 * (worker-client.ts), so generation never blocks the UI thread.
 */
import { OasisEngine } from './oasis-engine';
import { serveEngine } from './worker-host';
import type { MessageEndpoint } from './protocol';

const scope = self as unknown as MessageEndpoint & { navigator: { gpu?: GPU } };
serveEngine(scope, new OasisEngine({ gpu: scope.navigator.gpu }));
