/** Row types of what an oasst import keeps beside `message` (migration 2026_11_27_0003_exchange). */

/** Fields of an imported message that the file left out; see `message_import.absent`. */
export type AbsentField = 'created_date' | 'lang' | 'review_count' | 'deleted' | 'synthetic' | 'emojis' | 'message_tree_id';

export interface MessageImportTable {
	message_id: string;
	/** Position of the message in its file. */
	seq: number;
	/** JSON array of `AbsentField`. */
	absent: string;
	/** JSON `{kind: [event]}` as given, or null. */
	events: string | null;
	/** JSON Detoxify scores as given, or null. */
	detoxify: string | null;
	imported_date: string;
}

export interface TreeImportTable {
	message_tree_id: string;
	/** The `tree_state` the file gave, or null. */
	source_state: string | null;
	imported_date: string;
}

/** The exchange tables, to be spread into `Database`. */
export type ExchangeTables = {
	message_import: MessageImportTable;
	tree_import: TreeImportTable;
};
