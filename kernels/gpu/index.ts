/** The platform-neutral GPU layer (no Node imports: see ./node.ts for Node). */
export * from './errors.js';
export * from './context.js';
export * from './pipelines.js';
export * from './buffers.js';
export * from './batch.js';
export * from './tensor.js';
export * from './f16.js';
