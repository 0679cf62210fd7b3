import { parseArgs } from 'node:util';
import { openDatabase } from '../../db/database.js';
import { health } from '../../system/health.js';
import { type CliCommand, emit, info } from '../command.js';

export const migrateCommand: CliCommand = {
	name: 'migrate',
	summary: 'create the database if needed and apply pending migrations',
	help: `Usage: oasis migrate

Creates the database named by DATABASE_URL (default sqlite:./data/oasis.db) and applies every
pending migration. Prints {"dialect", "applied", "latest"}.`,
	async run(args) {
		parseArgs({ args, options: {}, strict: true });
		const opened = await openDatabase();
		try {
			const state = await health(opened.db, opened.dialect);
			info(`Database ${opened.location} is at ${state.migrations.latest}.`);
			emit({ dialect: opened.dialect, applied: state.migrations.applied, latest: state.migrations.latest });
			return 0;
		} finally {
			await opened.close();
		}
	}
};

export const healthCommand: CliCommand = {
	name: 'health',
	summary: 'report the version, database dialect and migration state',
	help: `Usage: oasis health

Opens (and migrates) the database named by DATABASE_URL and prints the same report as the API's
system.health procedure: {"ok", "version", "dialect", "migrations": {...}}.`,
	async run(args) {
		parseArgs({ args, options: {}, strict: true });
		const opened = await openDatabase();
		try {
			emit(await health(opened.db, opened.dialect));
			return 0;
		} finally {
			await opened.close();
		}
	}
};
