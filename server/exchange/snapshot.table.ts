/** Row type of immutable export snapshots that training jobs reference by id and hash. */
export interface SnapshotTable {
	id: string;
	created_date: string;
	created_by: string | null;
	format: 'trees' | 'messages';
	/** JSON of the export filters used. */
	filters: string;
	/** `sha256:<hex>` of the exported bytes. */
	content_hash: string;
	path: string | null;
	content: string | null;
	byte_size: number;
	tree_count: number;
	message_count: number;
}
