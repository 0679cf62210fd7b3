/**
 * onnxruntime-web's WebAssembly runtime, emitted by Vite into our own build (hashed, same origin),
 * so Transformers.js never fetches it from a CDN. The asyncify build is the one its WebGPU bundle
 * (`onnxruntime-web/webgpu`) loads; it runs both the WebGPU and the WASM (CPU) execution providers.
 * Imported only by the engine worker.
 */
import mjs from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import wasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import type { OrtWasmPaths } from './transformers-engine';

/** Absolute URLs (the runtime resolves them from a blob: worker too). */
export const ORT_WASM_PATHS: OrtWasmPaths = {
	mjs: new URL(mjs, self.location.href).href,
	wasm: new URL(wasm, self.location.href).href
};
