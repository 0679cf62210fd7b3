/**
 * Opens the database named by DATABASE_URL with the right Kysely dialect, checks that it
 * answers, and migrates it to the latest schema. The same queries run on both dialects.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect, SqliteDriver, sql, type DatabaseConnection, type Driver, type SqliteDialectConfig } from 'kysely';
import type { Database } from './schema.js';
import { type DatabaseConfig, DatabaseUrlError, parseDatabaseUrl, redact } from './url.js';
import { migrateToLatest } from './migrate.js';
import { BACKSTOP_PAGES, startCheckpointer } from './checkpointer.js';

export type Dialect = DatabaseConfig['dialect'];

export interface OpenDatabase {
	db: Kysely<Database>;
	dialect: Dialect;
	/** Human-readable location (password redacted). */
	location: string;
	close(): Promise<void>;
}

export class DatabaseConnectError extends Error {
	override name = 'DatabaseConnectError';
}

export interface OpenOptions {
	/** Run pending migrations (default true). */
	migrate?: boolean;
	/**
	 * SQLite: checkpoint the write-ahead log on a worker thread instead of inside commits
	 * (checkpointer.ts). For the long-running server; short-lived commands keep SQLite's own.
	 */
	backgroundCheckpoints?: boolean;
}

export async function openDatabase(url?: string, options: OpenOptions = {}): Promise<OpenDatabase> {
	const config = parseDatabaseUrl(url);
	const opened = config.dialect === 'sqlite' ? await openSqlite(config.path, options.backgroundCheckpoints ?? false) : await openPostgres(config.connectionString);
	if (options.migrate ?? true) {
		try {
			await migrateToLatest(opened.db);
		} catch (error) {
			await opened.close();
			throw error;
		}
	}
	return opened;
}

async function openSqlite(path: string, backgroundCheckpoints: boolean): Promise<OpenDatabase> {
	const { default: SQLite } = await import('better-sqlite3');
	let handle: import('better-sqlite3').Database;
	try {
		if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
		handle = new SQLite(path);
		handle.pragma('journal_mode = WAL');
		handle.pragma('synchronous = NORMAL');
		handle.pragma('foreign_keys = ON');
		// A bigger page cache (64 MiB) and memory-mapped reads: task requests read the active trees
		// (every message of them where the work-view cache does not apply: transactions, a cold start).
		handle.pragma('cache_size = -65536');
		if (path !== ':memory:') handle.pragma('mmap_size = 268435456');
		handle.pragma('temp_store = MEMORY');
	} catch (error) {
		throw new DatabaseConnectError(`Cannot open the SQLite database at ${path}: ${(error as Error).message}. Check that the folder is writable, or set DATABASE_URL=sqlite:OTHER_PATH.`);
	}
	const checkpointer = backgroundCheckpoints && path !== ':memory:' ? startCheckpointer(path, { onError: (message) => console.error(`[oasis] background WAL checkpoints failing (SQLite checkpoints in commits instead, every ${BACKSTOP_PAGES} pages): ${message}`) }) : null;
	if (checkpointer) handle.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
	// Lock waits happen in `PatientSqliteDriver` (asynchronously), not in SQLite's busy handler.
	handle.pragma('busy_timeout = 0');
	const db = new Kysely<Database>({ dialect: new PatientSqliteDialect({ database: withStatementCache(handle) }) });
	return {
		db,
		dialect: 'sqlite',
		location: `sqlite:${path}`,
		close: async () => {
			await db.destroy();
			await checkpointer?.stop();
		}
	};
}

/** Prepared statements kept per SQL text (the hot queries are few; variable `in` lists are bounded out). */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely's SQLite driver prepares every query anew; preparing costs about as much as running
 * a small indexed query. This keeps the most recent statements by SQL text and hands them out
 * again, unless one is still busy (a streamed query mid-iteration), which gets a fresh one.
 *
 * It also turns Kysely's `begin` into `begin immediate`: a transaction takes the write lock when
 * it starts, not at its first write. With several processes on one file (OASIS_WORKERS), a
 * deferred transaction that read and then tried to write after another process committed would
 * fail at once with SQLITE_BUSY (no waiting can help it); an immediate one waits its turn
 * (PatientSqliteDriver), so the reads and checks of every transaction see what it then writes over. Within one process
 * Kysely runs one transaction at a time on the one connection anyway.
 */
function withStatementCache(handle: import('better-sqlite3').Database): { prepare(sql: string): import('better-sqlite3').Statement; close(): void } {
	const cache = new Map<string, import('better-sqlite3').Statement>();
	return {
		prepare(sql) {
			if (sql === 'begin') sql = 'begin immediate';
			const cached = cache.get(sql);
			if (cached && !cached.busy) return cached;
			const statement = handle.prepare(sql);
			if (!cached) {
				if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
				cache.set(sql, statement);
			}
			return statement;
		},
		close() {
			cache.clear();
			handle.close();
		}
	};
}

/** How long a statement waits for another connection's lock (what busy_timeout = 5000 gave). */
const LOCK_WAIT_MS = 5000;

/**
 * Kysely's SQLite driver, waiting for locks without blocking the process. SQLite's own busy
 * handler sleeps inside the statement: with several processes on one file (OASIS_WORKERS), a
 * process waiting for another's write lock stopped serving everything for 1, 2, 5, 10… ms. Here
 * the connection's busy timeout is 0 and a statement refused with SQLITE_BUSY outside a
 * transaction — `BEGIN IMMEDIATE` above all (database.ts turns Kysely's `begin` into it), or an
 * autocommit write — is retried after a short asynchronous pause (doubling to 8 ms) until
 * LOCK_WAIT_MS; the event loop meanwhile serves other requests' non-database work. Inside a
 * transaction the write lock is already held, and statements run as before.
 */
class PatientSqliteDriver extends SqliteDriver {
	#inTransaction = false;

	override async acquireConnection(): Promise<DatabaseConnection> {
		const connection = await super.acquireConnection();
		return {
			executeQuery: (query) => (this.#inTransaction ? connection.executeQuery(query) : waitForLocks(() => connection.executeQuery(query))),
			streamQuery: (query, chunkSize) => connection.streamQuery(query, chunkSize)
		};
	}

	override async beginTransaction(connection: DatabaseConnection): Promise<void> {
		await super.beginTransaction(connection);
		this.#inTransaction = true;
	}

	override async commitTransaction(connection: DatabaseConnection): Promise<void> {
		try {
			await super.commitTransaction(connection);
		} finally {
			this.#inTransaction = false;
		}
	}

	override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
		try {
			await super.rollbackTransaction(connection);
		} finally {
			this.#inTransaction = false;
		}
	}
}

class PatientSqliteDialect extends SqliteDialect {
	readonly #config: SqliteDialectConfig;
	constructor(config: SqliteDialectConfig) {
		super(config);
		this.#config = config;
	}
	override createDriver(): Driver {
		return new PatientSqliteDriver(this.#config);
	}
}

/** Run `attempt`, again after a pause while SQLite answers SQLITE_BUSY, for up to LOCK_WAIT_MS. */
async function waitForLocks<T>(attempt: () => Promise<T>): Promise<T> {
	const deadline = performance.now() + LOCK_WAIT_MS;
	for (let pause = 0.5; ; pause = Math.min(pause * 2, 8)) {
		try {
			return await attempt();
		} catch (error) {
			if (!String((error as { code?: unknown }).code).startsWith('SQLITE_BUSY') || performance.now() > deadline) throw error;
			await new Promise((resolve) => (pause < 1 ? setImmediate(resolve) : setTimeout(resolve, pause)));
		}
	}
}

async function openPostgres(connectionString: string): Promise<OpenDatabase> {
	const { default: pg } = await import('pg');
	// BIGINT and NUMERIC come back as strings by default; our counters fit in a JS number.
	pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));
	pg.types.setTypeParser(1700, (v) => Number.parseFloat(v));
	const pool = new pg.Pool({ connectionString, max: 10, connectionTimeoutMillis: 5000 });
	pool.on('error', () => {
		/* idle client errors are reported on the next query */
	});
	const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
	try {
		await sql`select 1`.execute(db);
	} catch (error) {
		await db.destroy().catch(() => {});
		throw new DatabaseConnectError(`Cannot reach PostgreSQL at ${redact(connectionString)}: ${(error as Error).message}. Check that the server runs, and the host, port, user, password and database name in DATABASE_URL.`);
	}
	return { db, dialect: 'postgres', location: redact(connectionString), close: () => db.destroy() };
}

export { DatabaseUrlError };
