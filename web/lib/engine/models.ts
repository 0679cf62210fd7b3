/** Models our own engine can load. Only the bundled one for now; the Models page adds more. */
export interface OasisModelEntry {
	id: string;
	name: string;
	/** URL prefix of a Hugging Face folder. */
	url: string;
	maxSeq: number;
	note: string;
}

export const OASIS_MODELS: readonly OasisModelEntry[] = [
	{
		id: 'oasis-tiny',
		name: 'Oasis tiny (bundled, 3.7 MB)',
		url: '/models/oasis-tiny/',
		maxSeq: 2048,
		note: 'Random weights for testing: it answers in gibberish.'
	}
];

export const DEFAULT_MODEL = 'oasis-tiny';
