/** Block-quantized weight formats (q8, q4): CPU quantize/dequantize references. */
export * from './q8.js';
export * from './q4.js';
