/** The shape of an `oasis` subcommand. */
export interface CliCommand {
	name: string;
	/** One line for the command list. */
	summary: string;
	/** Full help: usage, options, examples. */
	help: string;
	/** Returns the process exit code. Machine-readable results go to stdout via `emit`. */
	run(args: string[]): Promise<number>;
}

/** Print one JSON object on one line to stdout: the command's machine-readable result. */
export function emit(value: unknown): void {
	process.stdout.write(JSON.stringify(value) + '\n');
}

/** Progress and logs go to stderr so stdout stays parseable. */
export function info(message: string): void {
	process.stderr.write(message + '\n');
}

/** A mistake in how the command was called: printed with a hint, exit code 2. */
export class UsageError extends Error {
	override name = 'UsageError';
}
