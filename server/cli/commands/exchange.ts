import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ZodError } from 'zod';
import { openDatabase } from '../../db/database.js';
import { FsBlobStore, defaultSnapshotStore } from '../../exchange/blob-store.js';
import { exportOasst, type ExportOptions } from '../../exchange/export.js';
import { writeLines } from '../../exchange/files.js';
import { ImportLineError, importOasst } from '../../exchange/import.js';
import { SnapshotNotFoundError, createSnapshot, getSnapshot, listSnapshots, readSnapshot } from '../../exchange/snapshot.js';
import { type CliCommand, UsageError, emit, info } from '../command.js';

const FILTER_OPTIONS = {
	format: { type: 'string' },
	state: { type: 'string' },
	lang: { type: 'string' },
	'include-deleted': { type: 'boolean' },
	'include-spam': { type: 'boolean' },
	'include-synthetic': { type: 'boolean' },
	user: { type: 'string' },
	since: { type: 'string' },
	anonymize: { type: 'string' },
	everything: { type: 'boolean' }
} as const;

const FILTER_HELP = `  --format trees|messages  tree lines (default) or flat message lines
  --state STATE|all        trees in this state (default ready_for_export; all with --everything)
  --lang L                 only messages in language L
  --include-deleted        keep deleted messages
  --include-spam           keep messages that are not accepted or are labelled spam
  --include-synthetic      keep synthetic (model-written) messages
  --user ID                only this author's messages (messages form) or the trees they wrote in
  --since ISO              only messages created at or after ISO (messages form), or trees with one
  --anonymize SEED         re-key message, tree and user ids deterministically from SEED
  --everything             a backup: every stored message with every field (no default filters)`;

type FilterValues = { [K in keyof typeof FILTER_OPTIONS]?: (typeof FILTER_OPTIONS)[K]['type'] extends 'string' ? string : boolean };

function filtersFrom(values: FilterValues): ExportOptions {
	const filters = {
		format: values.format,
		state: values.state,
		lang: values.lang,
		includeDeleted: values['include-deleted'],
		includeSpam: values['include-spam'],
		includeSynthetic: values['include-synthetic'],
		user: values.user,
		since: values.since,
		anonymizeSeed: values.anonymize,
		everything: values.everything
	};
	return Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)) as ExportOptions;
}

/** Zod's complaint about a filter, as a usage error naming the flag. */
function usageFromZod(error: unknown): never {
	if (!(error instanceof ZodError)) throw error;
	const flags: Record<string, string> = { anonymizeSeed: '--anonymize', includeDeleted: '--include-deleted', includeSpam: '--include-spam', includeSynthetic: '--include-synthetic' };
	const issue = error.issues[0];
	const key = String(issue.path[0] ?? '');
	throw new UsageError(`${flags[key] ?? `--${key}`}: ${issue.message}`);
}

/** Write lines to stdout, waiting when the pipe is full; stops quietly if the reader goes away. */
async function toStdout(lines: AsyncIterable<string>): Promise<void> {
	const out = process.stdout;
	let closed = false;
	const onError = (e: NodeJS.ErrnoException) => {
		if (e.code !== 'EPIPE') throw e;
		closed = true;
		out.emit('drain');
	};
	out.on('error', onError);
	const drained = () => new Promise<void>((resolve) => out.once('drain', resolve));
	try {
		let buffer = '';
		for await (const line of lines) {
			buffer += line + '\n';
			if (buffer.length >= 1 << 16) {
				if (!out.write(buffer)) await drained();
				buffer = '';
			}
			if (closed) return;
		}
		if (buffer.length > 0 && !out.write(buffer)) await drained();
	} finally {
		// A late EPIPE after the last write must not crash the process either.
		if (!closed) out.once('finish', () => out.off('error', onError));
	}
}

export const importCommand: CliCommand = {
	name: 'import',
	summary: 'import oasst trees, messages or Hugging Face rows (.jsonl or .jsonl.gz)',
	help: `Usage: oasis import FILE…

Imports each FILE (JSONL, gzip-compressed or not; or a .json array in upstream's seed format)
into the database named by DATABASE_URL. The form of each line — a tree, a message (flat or
nested) or a Hugging Face row — is detected by itself. Every field is kept as given; messages already stored are skipped, so a re-run is safe.
A message whose parent is in neither the files nor the database is kept and reported. Trees
whose state still needs work (or that have none) enter backlog_ranking.

Prints {"imported", "skipped", "orphans": [{message_id, parent_id}], "trees", "backlog",
"messages_per_second", "seconds"}.

Example: oasis import ../shared/data/oasst/en_100_tree.jsonl`,
	async run(args) {
		const { positionals } = parseArgs({ args, options: {}, allowPositionals: true, strict: true });
		if (positionals.length === 0) throw new UsageError('name at least one FILE to import');
		for (const file of positionals) {
			if (!(await access(file, constants.R_OK).then(() => true, () => false))) {
				info(`oasis import: cannot read ${file}: no such file, or not readable.`);
				return 1;
			}
		}
		const opened = await openDatabase();
		try {
			let last = 0;
			let result;
			try {
				result = await importOasst(opened.db, positionals, {
					onProgress: (n) => {
						if (n - last >= 50_000) info(`${n} messages imported…`);
						last = n - (n % 50_000);
					}
				});
			} catch (error) {
				if (!(error instanceof ImportLineError)) throw error;
				info(`oasis import: ${error.message}\n${error.imported} messages before that line were imported; fix the line and run again (stored messages are skipped).`);
				return 1;
			}
			info(`Imported ${result.imported} messages (${result.skipped} already stored, ${result.orphans.length} orphans) into ${opened.location} at ${result.messages_per_second} messages/s.`);
			emit({
				imported: result.imported,
				skipped: result.skipped,
				orphans: result.orphans,
				trees: result.trees,
				backlog: result.backlog,
				messages_per_second: result.messages_per_second,
				seconds: result.seconds
			});
			return 0;
		} finally {
			await opened.close();
		}
	}
};

export const exportCommand: CliCommand = {
	name: 'export',
	summary: 'export trees or messages in the oasst JSONL formats',
	help: `Usage: oasis export [options] [--out FILE]

Writes the database's trees (DATABASE_URL) as oasst JSONL. Without --out the JSONL itself is
the output on stdout; with --out FILE (gzip-compressed when it ends in .gz) it prints one
summary line {"out", "format", "trees", "messages", "seconds"}.

By default the original's dataset filters apply: trees ready_for_export, no deleted, not
accepted, spam or synthetic messages (a message left out takes its replies with it).

Options:
${FILTER_HELP}
  --out FILE               write to FILE instead of stdout

Examples:
  oasis export --out data/ready.trees.jsonl.gz
  oasis export --format messages --state all --lang de
  oasis export --everything --out backup.jsonl.gz`,
	async run(args) {
		const { values, positionals } = parseArgs({ args, options: { ...FILTER_OPTIONS, out: { type: 'string' } }, allowPositionals: true, strict: true });
		if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
		const filters = filtersFrom(values);
		const opened = await openDatabase();
		try {
			let stream;
			try {
				stream = exportOasst(opened.db, filters);
			} catch (error) {
				usageFromZod(error);
			}
			const started = performance.now();
			if (values.out === undefined) {
				await toStdout(stream);
				info(`Exported ${stream.stats.trees} trees, ${stream.stats.messages} messages.`);
				return 0;
			}
			await writeLines(stream, values.out);
			emit({ out: values.out, format: stream.filters.format, trees: stream.stats.trees, messages: stream.stats.messages, seconds: Math.round(performance.now() - started) / 1000 });
			return 0;
		} finally {
			await opened.close();
		}
	}
};

export const snapshotCommand: CliCommand = {
	name: 'snapshot',
	summary: 'save an export as an immutable snapshot (create), list them, or read one (get)',
	help: `Usage: oasis snapshot create [options] [--dir DIR]
       oasis snapshot list
       oasis snapshot get ID [--out FILE] [--dir DIR]

create  exports with the same options as "oasis export" into a new snapshot: the content goes to
        DIR/<id>.jsonl.gz (DIR: --dir, else OASIS_SNAPSHOT_DIR, else data/snapshots) and a
        record with its SHA-256 content hash to the database. Prints the snapshot.
list    prints {"snapshots": [...]}, newest first.
get     writes the snapshot's JSONL (checked against its hash) to stdout, or to FILE with a
        summary line.

Options of create:
${FILTER_HELP}`,
	async run(args) {
		const [action, ...rest] = args;
		if (action !== 'create' && action !== 'list' && action !== 'get') throw new UsageError('say "create", "list" or "get"');
		const { values, positionals } = parseArgs({
			args: rest,
			options: { ...(action === 'create' ? FILTER_OPTIONS : {}), dir: { type: 'string' }, out: { type: 'string' } },
			allowPositionals: action === 'get',
			strict: true
		});
		const store = values.dir !== undefined ? new FsBlobStore(values.dir as string) : defaultSnapshotStore();
		if (action === 'get' && positionals.length !== 1) throw new UsageError('name one snapshot ID');
		const opened = await openDatabase();
		try {
			if (action === 'list') {
				emit({ snapshots: await listSnapshots(opened.db) });
				return 0;
			}
			if (action === 'create') {
				const snapshot = await createSnapshot(opened.db, store, filtersFrom(values as FilterValues)).catch(usageFromZod);
				info(`Snapshot ${snapshot.id}: ${snapshot.tree_count} trees, ${snapshot.message_count} messages, ${snapshot.content_hash}, at ${store.describe(snapshot.blob)}.`);
				emit(snapshot);
				return 0;
			}
			const id = positionals[0];
			const snapshot = await getSnapshot(opened.db, id).catch((error: unknown) => {
				throw error instanceof SnapshotNotFoundError ? new UsageError(error.message) : error;
			});
			if (values.out === undefined) await toStdout(readSnapshot(opened.db, store, id));
			else {
				await writeLines(readSnapshot(opened.db, store, id), values.out as string);
				emit({ out: values.out, id, content_hash: snapshot.content_hash, trees: snapshot.tree_count, messages: snapshot.message_count });
			}
			return 0;
		} finally {
			await opened.close();
		}
	}
};
