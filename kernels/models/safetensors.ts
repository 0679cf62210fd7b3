/**
 * safetensors reader: an 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [start, end]}}` (offsets relative to the end of the
 * header), then the data. Single files and sharded folders (`model.safetensors.index.json`).
 * Only headers are read here; tensor data is read lazily by range.
 */
import { ModelError } from './errors.js';
import type { ModelSource } from './source.js';
import { storedBytes, type StoredDType, type TensorIndex } from './tensors.js';

const DTYPES: Record<string, StoredDType> = { F32: 'f32', F16: 'f16', BF16: 'bf16' };

interface HeaderEntry {
	dtype: string;
	shape: number[];
	data_offsets: [number, number];
}

/** Adds the tensors of one safetensors file to `index`. */
export async function readSafetensorsHeader(src: ModelSource, file: string, index: TensorIndex): Promise<void> {
	const size = await src.size(file);
	if (size < 8) throw new ModelError('truncated', `${file}: ${size} bytes, too short for a safetensors header`);
	const lenBytes = await src.readRange(file, 0, 8);
	const len = Number(new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true));
	if (len > 100_000_000 || 8 + len > size) {
		throw new ModelError('truncated', `${file}: header of ${len} bytes does not fit in the file (${size} bytes); truncated or not safetensors`);
	}
	let header: Record<string, unknown>;
	try {
		header = JSON.parse(new TextDecoder().decode(await src.readRange(file, 8, 8 + len)));
	} catch (e) {
		throw new ModelError('bad-format', `${file}: header is not valid JSON (${(e as Error).message})`);
	}
	const base = 8 + len;
	for (const [name, raw] of Object.entries(header)) {
		if (name === '__metadata__') continue;
		const e = raw as HeaderEntry;
		if (!e || !Array.isArray(e.shape) || !Array.isArray(e.data_offsets)) {
			throw new ModelError('bad-format', `${file}: tensor ${name} has a malformed header entry`);
		}
		const dtype = DTYPES[e.dtype];
		if (!dtype) {
			index.unsupported.set(name, `${file}: tensor ${name} has dtype ${e.dtype}; supported: F32, F16, BF16`);
			continue;
		}
		const [s, t] = e.data_offsets;
		const n = e.shape.reduce((a, b) => a * b, 1);
		if (t - s !== storedBytes(dtype, n)) {
			throw new ModelError('bad-format', `${file}: tensor ${name} [${e.shape}] ${e.dtype} spans ${t - s} bytes, expected ${storedBytes(dtype, n)}`);
		}
		if (base + t > size) {
			throw new ModelError('truncated', `${file}: tensor ${name} ends at byte ${base + t} but the file has ${size} bytes (truncated download?)`);
		}
		index.tensors.set(name, { name, fileName: name, file, dtype, shape: e.shape, start: base + s, end: base + t });
	}
}

/** Indexes `model.safetensors`, or every shard listed in `model.safetensors.index.json`. */
export async function indexSafetensors(src: ModelSource): Promise<TensorIndex> {
	const index: TensorIndex = { tensors: new Map(), unsupported: new Map() };
	if (await src.has('model.safetensors.index.json')) {
		const json = (await src.readJson('model.safetensors.index.json')) as { weight_map?: Record<string, string> };
		if (!json.weight_map) throw new ModelError('bad-format', 'model.safetensors.index.json: no weight_map');
		for (const file of new Set(Object.values(json.weight_map))) await readSafetensorsHeader(src, file, index);
		return index;
	}
	if (!(await src.has('model.safetensors'))) {
		const pickled = (await src.has('pytorch_model.bin')) || (await src.has('pytorch_model.bin.index.json'));
		throw new ModelError(
			'missing-file',
			pickled
				? `${src.label}: only PyTorch pickle weights (pytorch_model.bin) found; they are not read (pickles can run code). Convert them to model.safetensors (transformers: save_pretrained(..., safe_serialization=True)) or use a .gguf`
				: `${src.label}: neither model.safetensors nor model.safetensors.index.json found`
		);
	}
	await readSafetensorsHeader(src, 'model.safetensors', index);
	return index;
}

/** Serializes tensors to safetensors bytes (fixtures and the tiny-model script). */
export function writeSafetensors(tensors: { name: string; dtype: 'F32' | 'F16' | 'BF16'; shape: number[]; data: Uint8Array }[]): Uint8Array {
	const header: Record<string, HeaderEntry> = {};
	let off = 0;
	for (const t of tensors) {
		header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.data.byteLength] };
		off += t.data.byteLength;
	}
	let json = JSON.stringify(header);
	json += ' '.repeat((8 - (json.length % 8)) % 8);
	const hb = new TextEncoder().encode(json);
	const out = new Uint8Array(8 + hb.length + off);
	new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
	out.set(hb, 8);
	let p = 8 + hb.length;
	for (const t of tensors) {
		out.set(t.data, p);
		p += t.data.byteLength;
	}
	return out;
}
