/**
 * Line streams from and to JSONL files, gzip-compressed or not. A file is read as gzip when it
 * starts with gzip's magic bytes (whatever its name); a file is written gzip-compressed when its
 * name ends in `.gz`.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';

async function isGzip(path: string): Promise<boolean> {
	const handle = await open(path, 'r');
	try {
		const { buffer, bytesRead } = await handle.read(Buffer.alloc(2), 0, 2, 0);
		return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
	} finally {
		await handle.close();
	}
}

/** The lines of a JSONL file (`.jsonl` or gzip-compressed), without their line ends. */
export async function* readLines(path: string): AsyncGenerator<string> {
	const gzip = await isGzip(path);
	const raw = createReadStream(path);
	const input = gzip ? raw.pipe(createGunzip()) : raw;
	if (gzip) raw.on('error', (e) => input.destroy(e));
	const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
	try {
		yield* lines;
	} finally {
		lines.close();
		input.destroy();
	}
}

/** `lines` with a newline after each, as UTF-8 chunks. */
export async function* jsonlBytes(lines: AsyncIterable<string>): AsyncGenerator<Buffer> {
	let pending: string[] = [];
	let size = 0;
	for await (const line of lines) {
		pending.push(line, '\n');
		size += line.length + 1;
		if (size >= 1 << 16) {
			yield Buffer.from(pending.join(''), 'utf8');
			pending = [];
			size = 0;
		}
	}
	if (pending.length > 0) yield Buffer.from(pending.join(''), 'utf8');
}

/** Write `lines` as JSONL to `path`, gzip-compressed when the name ends in `.gz`. */
export async function writeLines(lines: AsyncIterable<string>, path: string): Promise<void> {
	const source = Readable.from(jsonlBytes(lines));
	if (path.endsWith('.gz')) await pipeline(source, createGzip(), createWriteStream(path));
	else await pipeline(source, createWriteStream(path));
}
