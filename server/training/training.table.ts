/** Row types of the training tables (migration 2026_11_27_0004_training). */

export type JobState = 'queued' | 'running' | 'paused' | 'cancelled' | 'finished' | 'failed';

export interface TrainingJobTable {
	id: string;
	name: string;
	created_date: string;
	created_by: string | null;
	updated_date: string;
	objective: 'sft' | 'reward' | 'dpo';
	base_model: string;
	snapshot_id: string;
	snapshot_hash: string;
	/** JSON `TrainingMode`. */
	mode: string;
	/** JSON `Hyper`. */
	hyper: string;
	rounds_target: number;
	workers_per_round: number;
	state: JobState;
	/** The open round (or the next one to open). */
	round: number;
	/** The newest parameter version (round r starts from version r). */
	version: number;
	param_count: number;
	seed: number;
	/** Next position in the shuffled train split. */
	data_cursor: number;
	train_examples: number;
	validation_examples: number;
	initial_validation_loss: number | null;
	error: string | null;
}

export interface TrainingRoundTable {
	job_id: string;
	round: number;
	base_version: number;
	state: 'open' | 'closed';
	opened_date: string;
	deadline_date: string;
	closed_date: string | null;
	train_loss: number | null;
	validation_loss: number | null;
	tokens: number;
	participants: number;
	accepted: number;
	rejected: number;
	bytes_received: number;
	bytes_fp32: number;
}

export interface TrainingUnitTable {
	id: string;
	job_id: string;
	round: number;
	unit_index: number;
	/** JSON `number[][]`: train-split indices, one list per inner step. */
	batches: string;
	tokens: number;
	state: 'open' | 'leased' | 'done';
	lease_id: string | null;
	lease_user_id: string | null;
	lease_worker_id: string | null;
	lease_expires: string | null;
	leases: number;
}

export type RejectReason = 'stale' | 'corrupt' | 'shape' | 'non_finite' | 'norm_outlier' | 'validation_loss';

export interface TrainingUpdateTable {
	id: string;
	job_id: string;
	round: number;
	unit_id: string;
	user_id: string;
	worker_id: string;
	created_date: string;
	base_version: number | null;
	/** Bytes of the encoded delta as received (decoded from base64). */
	bytes: number;
	norm: number | null;
	train_loss: number | null;
	/** Tokens of the unit (as the model counts them); credited only when accepted. */
	tokens: number;
	status: 'accepted' | 'rejected';
	reason: RejectReason | null;
	detail: string | null;
	loss_before: number | null;
	loss_after: number | null;
	/** Blob key of an accepted delta, until its round closes. */
	blob: string | null;
}

/** The training tables, to be spread into `Database`. */
export type TrainingTables = {
	training_job: TrainingJobTable;
	training_round: TrainingRoundTable;
	training_unit: TrainingUnitTable;
	training_update: TrainingUpdateTable;
};
