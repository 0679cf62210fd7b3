/**
 * A small writer for the ONNX protobuf format (onnx.proto3, the messages a model file needs):
 * ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto. Output is
 * deterministic: fields are written in field-number order, so the same model gives the same bytes.
 *
 * Wire format: each field is a varint key (field << 3 | wire type) followed by a varint (type 0),
 * 4 little-endian bytes (type 5) or a varint length and the bytes (type 2).
 */

/** ONNX TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10 } as const;
export type DataTypeId = (typeof DataType)[keyof typeof DataType];

/** A growable byte buffer with the protobuf primitives. */
class Writer {
	private buf = new Uint8Array(1024);
	private len = 0;

	private ensure(n: number): void {
		if (this.len + n <= this.buf.length) return;
		let cap = this.buf.length * 2;
		while (cap < this.len + n) cap *= 2;
		const next = new Uint8Array(cap);
		next.set(this.buf.subarray(0, this.len));
		this.buf = next;
	}

	varint(v: number | bigint): void {
		let x = BigInt.asUintN(64, BigInt(v));
		this.ensure(10);
		do {
			let b = Number(x & 0x7fn);
			x >>= 7n;
			if (x) b |= 0x80;
			this.buf[this.len++] = b;
		} while (x);
	}

	bytes(b: Uint8Array): void {
		this.ensure(b.length);
		this.buf.set(b, this.len);
		this.len += b.length;
	}

	key(field: number, wire: 0 | 2 | 5): void {
		this.varint((field << 3) | wire);
	}

	int(field: number, v: number | bigint): void {
		this.key(field, 0);
		this.varint(v);
	}

	float(field: number, v: number): void {
		this.key(field, 5);
		const b = new Uint8Array(4);
		new DataView(b.buffer).setFloat32(0, v, true);
		this.bytes(b);
	}

	blob(field: number, b: Uint8Array): void {
		this.key(field, 2);
		this.varint(b.length);
		this.bytes(b);
	}

	string(field: number, s: string): void {
		this.blob(field, new TextEncoder().encode(s));
	}

	/** A nested message. */
	message(field: number, write: (w: Writer) => void): void {
		const inner = new Writer();
		write(inner);
		this.blob(field, inner.finish());
	}

	finish(): Uint8Array {
		return this.buf.slice(0, this.len);
	}
}

/** A constant tensor (initializer or attribute value), data little-endian as ONNX `raw_data`. */
export interface TensorValue {
	name: string;
	dataType: DataTypeId;
	dims: number[];
	raw: Uint8Array;
}

export type AttributeValue = number | string | number[] | TensorValue | { float: number };

/** A graph node; integer-valued numbers are INT attributes, `{float}` a FLOAT one, arrays INTS. */
export interface NodeSpec {
	op: string;
	inputs: string[];
	outputs: string[];
	name: string;
	domain?: string;
	attributes?: Record<string, AttributeValue>;
}

/** A graph input/output: element type and shape (numbers fixed, strings symbolic). */
export interface ValueInfo {
	name: string;
	elemType: DataTypeId;
	shape: (number | string)[];
}

export interface ModelSpec {
	irVersion: number;
	opsets: { domain: string; version: number }[];
	producer: string;
	producerVersion: string;
	graphName: string;
	nodes: NodeSpec[];
	initializers: TensorValue[];
	inputs: ValueInfo[];
	outputs: ValueInfo[];
	docString?: string;
}

function writeTensor(w: Writer, t: TensorValue): void {
	for (const d of t.dims) w.int(1, d);
	w.int(2, t.dataType);
	w.string(8, t.name);
	w.blob(9, t.raw);
}

// AttributeProto.AttributeType
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, INTS: 7 } as const;

function writeAttribute(w: Writer, name: string, v: AttributeValue): void {
	w.string(1, name);
	if (typeof v === 'number') {
		if (!Number.isInteger(v)) throw new Error(`attribute ${name}: use {float: x} for FLOAT attributes`);
		w.int(3, v);
		w.int(20, ATTR.INT);
	} else if (typeof v === 'string') {
		w.string(4, v);
		w.int(20, ATTR.STRING);
	} else if (Array.isArray(v)) {
		for (const x of v) w.int(8, x);
		w.int(20, ATTR.INTS);
	} else if ('float' in v) {
		w.float(2, v.float);
		w.int(20, ATTR.FLOAT);
	} else {
		w.message(5, (t) => writeTensor(t, v));
		w.int(20, ATTR.TENSOR);
	}
}

function writeValueInfo(w: Writer, v: ValueInfo): void {
	w.string(1, v.name);
	w.message(2, (type) =>
		type.message(1, (tensor) => {
			tensor.int(1, v.elemType);
			tensor.message(2, (shape) => {
				for (const d of v.shape) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
			});
		})
	);
}

/** Serializes a model to the bytes of a `.onnx` file. */
export function encodeModel(m: ModelSpec): Uint8Array {
	const w = new Writer();
	w.int(1, m.irVersion);
	w.string(2, m.producer);
	w.string(3, m.producerVersion);
	if (m.docString) w.string(6, m.docString);
	w.message(7, (g) => {
		for (const n of m.nodes) {
			g.message(1, (nw) => {
				for (const i of n.inputs) nw.string(1, i);
				for (const o of n.outputs) nw.string(2, o);
				nw.string(3, n.name);
				nw.string(4, n.op);
				for (const [k, v] of Object.entries(n.attributes ?? {})) nw.message(5, (a) => writeAttribute(a, k, v));
				if (n.domain) nw.string(7, n.domain);
			});
		}
		g.string(2, m.graphName);
		for (const t of m.initializers) g.message(5, (tw) => writeTensor(tw, t));
		for (const i of m.inputs) g.message(11, (vw) => writeValueInfo(vw, i));
		for (const o of m.outputs) g.message(12, (vw) => writeValueInfo(vw, o));
	});
	for (const o of m.opsets) {
		w.message(8, (ow) => {
			if (o.domain) ow.string(1, o.domain);
			ow.int(2, o.version);
		});
	}
	return w.finish();
}

/** Little-endian bytes of typed values, as `raw_data` wants them. */
export function rawBytes(a: Float32Array | Int32Array | Uint8Array | BigInt64Array | Uint16Array): Uint8Array {
	return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
}
