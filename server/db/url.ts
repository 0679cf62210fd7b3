/**
 * DATABASE_URL parsing. Two forms are accepted:
 *   sqlite:PATH            (PATH relative to the working directory, or `:memory:`)
 *   postgres://user:pass@host:port/db   (also postgresql://)
 * Anything else is rejected with a message that says what to write instead.
 */
import { resolve } from 'node:path';

export type DatabaseConfig =
	| { dialect: 'sqlite'; path: string }
	| { dialect: 'postgres'; connectionString: string };

export const DEFAULT_DATABASE_URL = 'sqlite:./data/oasis.db';

export class DatabaseUrlError extends Error {
	override name = 'DatabaseUrlError';
}

export function parseDatabaseUrl(url: string | undefined = process.env.DATABASE_URL): DatabaseConfig {
	const value = (url ?? '').trim() || DEFAULT_DATABASE_URL;
	if (value.startsWith('sqlite:')) {
		let path = value.slice('sqlite:'.length);
		if (path.startsWith('//')) path = path.slice(2); // sqlite://relative/or//abs
		if (!path) throw new DatabaseUrlError(`DATABASE_URL "${value}" has no file path: write sqlite:./data/oasis.db or sqlite::memory:`);
		return { dialect: 'sqlite', path: path === ':memory:' ? path : resolve(path) };
	}
	if (/^postgres(ql)?:\/\//.test(value)) {
		try {
			const parsed = new URL(value);
			if (!parsed.hostname) throw new Error('no host');
		} catch {
			throw new DatabaseUrlError(`DATABASE_URL "${redact(value)}" is not a valid PostgreSQL URL: write postgres://USER:PASSWORD@HOST:PORT/DATABASE`);
		}
		return { dialect: 'postgres', connectionString: value };
	}
	throw new DatabaseUrlError(
		`DATABASE_URL "${redact(value)}" is not supported: use sqlite:PATH (the default is ${DEFAULT_DATABASE_URL}) or postgres://USER:PASSWORD@HOST:PORT/DATABASE`
	);
}

/** Hide a password in a URL before it is printed. */
export function redact(url: string): string {
	return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}
