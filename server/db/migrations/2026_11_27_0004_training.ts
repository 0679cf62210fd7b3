import type { Kysely } from 'kysely';

// Frozen: never edit a migration after it has landed; add a new one.
//
// Distributed training (DiLoCo over volunteers' browsers): jobs, their rounds, the work units a
// round hands out as leases, and every update a worker sent (accepted or not, with the reason).
// Parameter versions, momentum and accepted deltas are blobs (server/training/store.ts); these
// tables hold what a restarted server needs to find them and go on. Portable as 0002: text ids,
// ISO-8601 text dates, JSON text, `double precision` for losses and norms, `bigint` for byte and
// token totals (read back through Number(): PostgreSQL returns int8 as text).

const ID = 'varchar(64)';
const TS = 'varchar(32)';
const REAL = 'double precision';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.createTable('training_job')
		.addColumn('id', ID, (c) => c.primaryKey())
		.addColumn('name', 'varchar(200)', (c) => c.notNull())
		.addColumn('created_date', TS, (c) => c.notNull())
		.addColumn('created_by', ID)
		.addColumn('updated_date', TS, (c) => c.notNull())
		.addColumn('objective', 'varchar(16)', (c) => c.notNull()) // sft | reward | dpo
		.addColumn('base_model', 'varchar(200)', (c) => c.notNull())
		.addColumn('snapshot_id', ID, (c) => c.notNull())
		.addColumn('snapshot_hash', 'varchar(128)', (c) => c.notNull())
		.addColumn('mode', 'text', (c) => c.notNull()) // JSON TrainingMode
		.addColumn('hyper', 'text', (c) => c.notNull()) // JSON hyper-parameters
		.addColumn('rounds_target', 'integer', (c) => c.notNull())
		.addColumn('workers_per_round', 'integer', (c) => c.notNull())
		.addColumn('state', 'varchar(16)', (c) => c.notNull()) // queued | running | paused | cancelled | finished | failed
		.addColumn('round', 'integer', (c) => c.notNull().defaultTo(0)) // the open (or next) round
		.addColumn('version', 'integer', (c) => c.notNull().defaultTo(0)) // the newest parameter version
		.addColumn('param_count', 'integer', (c) => c.notNull())
		.addColumn('seed', 'integer', (c) => c.notNull())
		.addColumn('data_cursor', 'integer', (c) => c.notNull().defaultTo(0)) // next position in the shuffled train split
		.addColumn('train_examples', 'integer', (c) => c.notNull())
		.addColumn('validation_examples', 'integer', (c) => c.notNull())
		.addColumn('initial_validation_loss', REAL)
		.addColumn('error', 'text')
		.execute();
	await db.schema.createIndex('training_job_state').on('training_job').columns(['state', 'created_date']).execute();

	await db.schema
		.createTable('training_round')
		.addColumn('job_id', ID, (c) => c.notNull().references('training_job.id').onDelete('cascade'))
		.addColumn('round', 'integer', (c) => c.notNull())
		.addColumn('base_version', 'integer', (c) => c.notNull())
		.addColumn('state', 'varchar(16)', (c) => c.notNull()) // open | closed
		.addColumn('opened_date', TS, (c) => c.notNull())
		.addColumn('deadline_date', TS, (c) => c.notNull())
		.addColumn('closed_date', TS)
		.addColumn('train_loss', REAL) // mean of the accepted workers' reports
		.addColumn('validation_loss', REAL) // of the version this round produced
		.addColumn('tokens', 'bigint', (c) => c.notNull().defaultTo(0))
		.addColumn('participants', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('accepted', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('rejected', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('bytes_received', 'bigint', (c) => c.notNull().defaultTo(0))
		.addColumn('bytes_fp32', 'bigint', (c) => c.notNull().defaultTo(0))
		.addPrimaryKeyConstraint('training_round_pk', ['job_id', 'round'])
		.execute();

	await db.schema
		.createTable('training_unit')
		.addColumn('id', ID, (c) => c.primaryKey())
		.addColumn('job_id', ID, (c) => c.notNull().references('training_job.id').onDelete('cascade'))
		.addColumn('round', 'integer', (c) => c.notNull())
		.addColumn('unit_index', 'integer', (c) => c.notNull())
		.addColumn('batches', 'text', (c) => c.notNull()) // JSON number[][]: train-split indices per inner step
		.addColumn('tokens', 'integer', (c) => c.notNull())
		.addColumn('state', 'varchar(16)', (c) => c.notNull()) // open | leased | done
		.addColumn('lease_id', ID)
		.addColumn('lease_user_id', ID)
		.addColumn('lease_worker_id', 'varchar(100)')
		.addColumn('lease_expires', TS)
		.addColumn('leases', 'integer', (c) => c.notNull().defaultTo(0))
		.execute();
	await db.schema.createIndex('training_unit_round').on('training_unit').columns(['job_id', 'round', 'state']).execute();

	await db.schema
		.createTable('training_update')
		.addColumn('id', ID, (c) => c.primaryKey())
		.addColumn('job_id', ID, (c) => c.notNull().references('training_job.id').onDelete('cascade'))
		.addColumn('round', 'integer', (c) => c.notNull())
		.addColumn('unit_id', ID, (c) => c.notNull())
		.addColumn('user_id', ID, (c) => c.notNull())
		.addColumn('worker_id', 'varchar(100)', (c) => c.notNull())
		.addColumn('created_date', TS, (c) => c.notNull())
		.addColumn('base_version', 'integer')
		.addColumn('bytes', 'integer', (c) => c.notNull())
		.addColumn('norm', REAL)
		.addColumn('train_loss', REAL)
		.addColumn('tokens', 'integer', (c) => c.notNull())
		.addColumn('status', 'varchar(16)', (c) => c.notNull()) // accepted | rejected
		.addColumn('reason', 'varchar(32)')
		.addColumn('detail', 'text')
		.addColumn('loss_before', REAL)
		.addColumn('loss_after', REAL)
		.addColumn('blob', 'varchar(200)')
		.execute();
	await db.schema.createIndex('training_update_job').on('training_update').columns(['job_id', 'status', 'round']).execute();
	await db.schema.createIndex('training_update_user').on('training_update').columns(['user_id', 'status']).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
	for (const table of ['training_update', 'training_unit', 'training_round', 'training_job']) await db.schema.dropTable(table).execute();
}
