/** Errors from loading a model: each names the file or tensor and what was expected. */

export type ModelErrorCode =
	| 'bad-config'
	| 'unsupported'
	| 'missing-file'
	| 'missing-tensor'
	| 'bad-shape'
	| 'bad-dtype'
	| 'truncated'
	| 'bad-format'
	| 'too-large'
	| 'aborted';

/** A model that cannot be loaded or run as given. Thrown before any GPU work where possible. */
export class ModelError extends Error {
	override readonly name = 'ModelError';
	constructor(
		readonly code: ModelErrorCode,
		message: string
	) {
		super(message);
	}
}
