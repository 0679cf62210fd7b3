/**
 * Oasis kernels: the WebGPU layer and the inference ops, platform-neutral (browser and Node).
 * In Node, get a context with `createNodeContext()` from `kernels/gpu/node.ts`; in a browser,
 * with `requestGpuContext(navigator.gpu)`. Every op takes the context, typed arguments and an
 * optional Batch (to record many dispatches into one submit).
 */
export * from './gpu/index.js';
export * from './quant/index.js';
export { linear, matmul, type LinearArgs } from './ops/matmul/matmul.js';
export { matvec, defaultMatvecVariant, type MatvecArgs, type MatvecVariant } from './ops/matvec/matvec.js';
export { embedding, type EmbeddingArgs } from './ops/embedding/embedding.js';
export { rmsnorm, type RmsnormArgs } from './ops/rmsnorm/rmsnorm.js';
export { rope, createRopeTable, ropeInvFreq, type RopeArgs, type RopeLayout, type RopeTable } from './ops/rope/rope.js';
export { softmax, type SoftmaxArgs } from './ops/softmax/softmax.js';
export { add, type AddArgs } from './ops/add/add.js';
export { siluMul, type SiluMulArgs } from './ops/silu-mul/silu-mul.js';
export { mlp, createMlpScratch, type MlpArgs, type MlpScratch, type MlpWeights } from './ops/mlp/mlp.js';
export {
	attention,
	defaultSplitLength,
	writeKv,
	createKvCache,
	type AttentionArgs,
	type KvCache,
	type KvDtype,
	type WriteKvArgs
} from './ops/attention/attention.js';
export { sample, sampleToken, checkSamplingParams, type SampleArgs, type SamplingParams } from './ops/sampling/sampling.js';
/** Training: backward ops, LoRA, AdamW and the whole-model trainer (see train/). */
export * from './train/index.js';

/** CPU references (float64), also the readable spec of each op. */
export { linearRef } from './ops/matmul/matmul.ref.js';
export { embeddingRef } from './ops/embedding/embedding.ref.js';
export { rmsnormRef } from './ops/rmsnorm/rmsnorm.ref.js';
export { ropeRef } from './ops/rope/rope.ref.js';
export { softmaxRef } from './ops/softmax/softmax.ref.js';
export { addRef } from './ops/add/add.ref.js';
export { siluMulRef } from './ops/silu-mul/silu-mul.ref.js';
export { mlpRef } from './ops/mlp/mlp.ref.js';
export { attentionRef } from './ops/attention/attention.ref.js';
export { sampleRef, processLogitsRef } from './ops/sampling/sampling.ref.js';
