/**
 * `exchange.*` (import, export) and `snapshot.*` (create, list, get) for moderators: the same
 * functions the CLI calls. Large exports belong in snapshots: `exchange.export` refuses to
 * answer with more than 32 MiB.
 */
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { moderatorProcedure, router } from '../trpc.js';
import { defaultSnapshotStore } from './blob-store.js';
import { exportOasst, exportOptionsSchema } from './export.js';
import { ImportLineError, importOasst } from './import.js';
import { SnapshotNotFoundError, createSnapshot, getSnapshot, listSnapshots } from './snapshot.js';

const MAX_EXPORT_CHARS = 32 * 1024 * 1024;

export const exchangeRouter = router({
	import: moderatorProcedure.input(z.object({ jsonl: z.string().min(1).max(MAX_EXPORT_CHARS) })).mutation(async ({ ctx, input }) => {
		try {
			const r = await importOasst(ctx.db, { lines: input.jsonl.split(/\r?\n/), name: 'upload' }, { now: ctx.now });
			return { imported: r.imported, skipped: r.skipped, orphans: r.orphans, trees: r.trees, backlog: r.backlog, messagesPerSecond: r.messages_per_second };
		} catch (error) {
			if (error instanceof ImportLineError) {
				throw new TRPCError({ code: 'BAD_REQUEST', message: `${error.message} (${error.imported} messages before it were imported; a corrected re-upload skips them)`, cause: error });
			}
			throw error;
		}
	}),
	export: moderatorProcedure.input(exportOptionsSchema).query(async ({ ctx, input }) => {
		const stream = exportOasst(ctx.db, input);
		const lines: string[] = [];
		let chars = 0;
		for await (const line of stream) {
			chars += line.length + 1;
			if (chars > MAX_EXPORT_CHARS) {
				throw new TRPCError({ code: 'PAYLOAD_TOO_LARGE', message: 'this export is larger than 32 MiB; narrow the filters or create a snapshot (snapshot.create)' });
			}
			lines.push(line);
		}
		return { jsonl: lines.length > 0 ? lines.join('\n') + '\n' : '', trees: stream.stats.trees, messages: stream.stats.messages };
	})
});

export const snapshotRouter = router({
	create: moderatorProcedure
		.input(exportOptionsSchema)
		.mutation(({ ctx, input }) => createSnapshot(ctx.db, defaultSnapshotStore(), input, { createdBy: ctx.user.id, now: ctx.now })),
	list: moderatorProcedure.query(({ ctx }) => listSnapshots(ctx.db)),
	get: moderatorProcedure.input(z.object({ id: z.string().min(1).max(64) })).query(async ({ ctx, input }) => {
		try {
			return await getSnapshot(ctx.db, input.id);
		} catch (error) {
			if (error instanceof SnapshotNotFoundError) throw new TRPCError({ code: 'NOT_FOUND', message: error.message, cause: error });
			throw error;
		}
	})
});
