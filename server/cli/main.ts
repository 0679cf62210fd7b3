/**
 * The `oasis` command line. Each subcommand lives in ./commands and is listed here.
 * Contract: one JSON object on one line on stdout; logs and progress on stderr.
 */
import { DatabaseConnectError, DatabaseUrlError } from '../db/database.js';
import { MigrationError } from '../db/migrate.js';
import { OASIS_VERSION } from '../version.js';
import { type CliCommand, UsageError } from './command.js';
import { healthCommand, migrateCommand } from './commands/db.js';
import { generateCommand } from './commands/generate.js';
import { gpuCommand } from './commands/gpu.js';
import { scoreCommand } from './commands/score.js';
import { exportCommand, importCommand, snapshotCommand } from './commands/exchange.js';
import { workerCommand } from './worker.js';

const commands: CliCommand[] = [migrateCommand, healthCommand, gpuCommand, importCommand, exportCommand, snapshotCommand, generateCommand, scoreCommand, workerCommand];

function usage(): string {
	const width = Math.max(...commands.map((c) => c.name.length));
	return `Oasis ${OASIS_VERSION} — open assistant, browser-first.

Usage: oasis <command> [options]      (in this checkout: npx oasis <command>)

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run "oasis <command> --help" for a command's options.
Environment: DATABASE_URL  sqlite:PATH (default sqlite:./data/oasis.db) or postgres://USER:PASSWORD@HOST:PORT/DB
`;
}

export async function main(argv: string[]): Promise<number> {
	const [name, ...rest] = argv;
	if (!name || name === '--help' || name === '-h' || name === 'help') {
		process.stdout.write(usage());
		return name ? 0 : 2;
	}
	if (name === '--version' || name === '-v') {
		process.stdout.write(`${OASIS_VERSION}\n`);
		return 0;
	}
	const command = commands.find((c) => c.name === name);
	if (!command) {
		process.stderr.write(`oasis: unknown command "${name}".\n\n${usage()}`);
		return 2;
	}
	if (rest.includes('--help') || rest.includes('-h')) {
		process.stdout.write(command.help + '\n');
		return 0;
	}
	try {
		return await command.run(rest);
	} catch (error) {
		const e = error as Error & { code?: string };
		if (error instanceof UsageError || e.code?.startsWith('ERR_PARSE_ARGS')) {
			process.stderr.write(`oasis ${name}: ${e.message}\nRun "oasis ${name} --help" for usage.\n`);
			return 2;
		}
		if (error instanceof DatabaseUrlError || error instanceof DatabaseConnectError || error instanceof MigrationError) {
			process.stderr.write(`oasis ${name}: ${e.message}\n`);
			return 1;
		}
		process.stderr.write(`oasis ${name}: ${e.stack ?? e.message}\n`);
		return 1;
	}
}
