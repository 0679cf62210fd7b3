import { elementwise } from '../common/kernel.wgsl.js';

/** Writes f32 keys/values of new tokens into an f16 KV cache at a position offset. */
export const KV_WRITE_F16_WGSL = elementwise(
	'n: u32, offset: u32, _p0: u32, _p1: u32',
	['read K: array<f32>', 'read V: array<f32>', 'read_write Kc: array<f16>', 'read_write Vc: array<f16>'],
	`  if (i >= params.n) { return; }
  Kc[params.offset + i] = f16(K[i]);
  Vc[params.offset + i] = f16(V[i]);
`,
	'\nenable f16;',
);
