/**
 * Model runtime: Llama-family decoders (Llama 2/3, SmolLM2, Mistral, Qwen2, Qwen3) from Hugging Face
 * folders or GGUF files, on our WebGPU kernels. Platform-neutral; Node-only helpers live in
 * source-node.ts (folderSource, openModelPath) and quant-cache-node.ts (nodeQuantCache).
 *
 *   const files = await openModel(fetchSource('/models/oasis-tiny/'));   // validates headers
 *   const model = await LlamaModel.load(ctx, files, { quant: 'q4', cache, maxSeq: 2048 });
 *   const prompt = files.tokenizer!.encodeChat(messages);
 *   const text = files.tokenizer!.streamDecoder();
 *   const r = await model.generate(prompt, { maxTokens: 256, sampling: { temperature: 0.7, topP: 0.9 },
 *     seed, signal, onToken: (id) => show(text.push(id)) });
 */
export { parseHfConfig, ropeFrequencies, type ModelConfig, type RopeScaling } from './config.js';
export { ModelError, type ModelErrorCode } from './errors.js';
export { LlamaModel, type GenerateOptions, type GenerateResult, type LoadOptions, type LoadStats } from './llama.js';
export { openModel, readWeight, type ModelFiles } from './model-files.js';
export { memoryQuantCache, type QuantCache } from './quant-cache.js';
export { blobSource, fetchSource, type ModelSource } from './source.js';
export { ModelTokenizer, type ChatMessage } from './tokenizer.js';
export { planTensors, expectedTensors, type QuantMode } from './weights.js';
