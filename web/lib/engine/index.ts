/**
 * Inference engines behind one OpenAI-shaped interface. The page imports this module lazily
 * (`await import('$lib/engine')`) so no ML code is in the shell.
 *
 *   const engine = WorkerEngine.start();
 *   await engine.load('oasis-tiny', (p) => show(p.text));
 *   for await (const c of await engine.chat.completions.create({ messages, stream: true }, { signal }))
 *     append(c.choices[0].delta.content ?? '');
 */
export { WorkerEngine } from './worker-client';
export { EngineError, toEngineError, type EngineErrorCode, type EngineRemedy } from './errors';
export { OASIS_MODELS, DEFAULT_MODEL } from './models';
export { CATALOGUE, findModel, type ModelEntry, type EngineKind } from './catalogue';
export type * from './types';
