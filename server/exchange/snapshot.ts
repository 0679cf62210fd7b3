/**
 * Snapshots: an export saved once, immutably, under an id and a content hash, for training jobs
 * to reference (issue 3 item 6). The row lives in `snapshot`; the bytes, gzip-compressed, in a
 * `BlobStore` under `<id>.jsonl.gz`. The hash is SHA-256 of the uncompressed JSONL, so it names
 * the content whatever the compressor does; the same data exported with the same filters always
 * gives the same hash.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Readable, type Transform } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { SnapshotTable } from './snapshot.table.js';
import type { BlobStore } from './blob-store.js';
import { exportOasst, type ExportFilters, type ExportOptions } from './export.js';
import { jsonlBytes } from './files.js';

/** A snapshot as listed. */
export interface SnapshotInfo {
	id: string;
	created_date: string;
	created_by: string | null;
	format: 'trees' | 'messages';
	/** The export filters (an anonymisation seed is never stored, only that one was used). */
	filters: Omit<ExportFilters, 'anonymizeSeed'> & { anonymized: boolean };
	content_hash: string;
	/** Bytes of the uncompressed JSONL. */
	byte_size: number;
	tree_count: number;
	message_count: number;
	/** Blob key in the snapshot store. */
	blob: string;
}

export class SnapshotNotFoundError extends Error {
	override name = 'SnapshotNotFoundError';
}

export class SnapshotIntegrityError extends Error {
	override name = 'SnapshotIntegrityError';
}

/** `source` through `transform`, errors on either side ending the result. */
function through(source: AsyncIterable<Uint8Array>, transform: Transform): Transform {
	const input = Readable.from(source);
	input.on('error', (e) => transform.destroy(e));
	return input.pipe(transform);
}

function info(row: SnapshotTable): SnapshotInfo {
	return {
		id: row.id,
		created_date: row.created_date,
		created_by: row.created_by,
		format: row.format,
		filters: JSON.parse(row.filters),
		content_hash: row.content_hash,
		byte_size: row.byte_size,
		tree_count: row.tree_count,
		message_count: row.message_count,
		blob: row.path ?? ''
	};
}

export interface CreateSnapshotOptions {
	createdBy?: string | null;
	now?: () => Date;
}

/** Export with `filters` into a new snapshot and return it. */
export async function createSnapshot(db: Kysely<Database>, store: BlobStore, filters: ExportOptions = {}, options: CreateSnapshotOptions = {}): Promise<SnapshotInfo> {
	const stream = exportOasst(db, filters);
	const id = randomUUID();
	const blob = `${id}.jsonl.gz`;
	const hash = createHash('sha256');
	let size = 0;
	const hashed = async function* () {
		for await (const chunk of jsonlBytes(stream)) {
			hash.update(chunk);
			size += chunk.byteLength;
			yield chunk;
		}
	};
	await store.put(blob, through(hashed(), createGzip()));
	const { anonymizeSeed, ...rest } = stream.filters;
	const row: SnapshotTable = {
		id,
		created_date: (options.now?.() ?? new Date()).toISOString(),
		created_by: options.createdBy ?? null,
		format: stream.filters.format,
		filters: JSON.stringify({ ...rest, anonymized: anonymizeSeed !== undefined }),
		content_hash: `sha256:${hash.digest('hex')}`,
		path: blob,
		content: null,
		byte_size: size,
		tree_count: stream.stats.trees,
		message_count: stream.stats.messages
	};
	try {
		await db.insertInto('snapshot').values(row).execute();
	} catch (error) {
		await store.delete(blob);
		throw error;
	}
	return info(row);
}

/** Snapshots, newest first. */
export async function listSnapshots(db: Kysely<Database>): Promise<SnapshotInfo[]> {
	const rows = await db.selectFrom('snapshot').selectAll().orderBy('created_date', 'desc').orderBy('id').execute();
	return rows.map(info);
}

/** One snapshot. @throws SnapshotNotFoundError */
export async function getSnapshot(db: Kysely<Database>, id: string): Promise<SnapshotInfo> {
	const row = await db.selectFrom('snapshot').selectAll().where('id', '=', id).executeTakeFirst();
	if (!row) throw new SnapshotNotFoundError(`no snapshot "${id}"`);
	return info(row);
}

/**
 * The lines of a snapshot, checked against its hash as they are read: after the last line,
 * a mismatch throws SnapshotIntegrityError.
 */
export async function* readSnapshot(db: Kysely<Database>, store: BlobStore, id: string): AsyncGenerator<string> {
	const snapshot = await getSnapshot(db, id);
	const hash = createHash('sha256');
	const gunzip = through(store.get(snapshot.blob), createGunzip());
	const hashed = async function* () {
		for await (const chunk of gunzip) {
			hash.update(chunk as Buffer);
			yield chunk as Buffer;
		}
	};
	for await (const line of createInterface({ input: Readable.from(hashed()), crlfDelay: Number.POSITIVE_INFINITY })) yield line;
	const actual = `sha256:${hash.digest('hex')}`;
	if (actual !== snapshot.content_hash) throw new SnapshotIntegrityError(`snapshot ${id} is damaged: its content hashes to ${actual}, not ${snapshot.content_hash}`);
}
