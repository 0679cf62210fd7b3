import type { GpuContext } from '../../kernels/gpu/context.js';
import { GpuError } from '../../kernels/gpu/errors.js';
import { ModelError } from '../../kernels/models/errors.js';

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

/**
 * The exit of a model command that failed: a model or GPU error is the user's to fix, so its message
 * goes to stderr (no stack) and the exit code is 1; anything else is a bug and is rethrown.
 */
export function modelFailure(command: string, e: unknown): number {
	if (e instanceof ModelError || e instanceof GpuError) {
		process.stderr.write(`oasis ${command}: ${e.message}\n`);
		return 1;
	}
	throw e;
}

/**
 * Run a model command's `body` on a fresh Node WebGPU context (loaded on first use, so other
 * commands start without it), destroyed afterwards; a model or GPU error, from the context or the
 * body, ends as `modelFailure` words it.
 */
export async function onGpu(command: string, body: (ctx: GpuContext) => Promise<number>): Promise<number> {
	const { createNodeContext } = await import('../../kernels/gpu/node.js');
	const ctx = await createNodeContext().catch((e: unknown) => void modelFailure(command, e));
	if (!ctx) return 1;
	try {
		return await body(ctx);
	} catch (e) {
		return modelFailure(command, e);
	} finally {
		ctx.destroy();
	}
}
