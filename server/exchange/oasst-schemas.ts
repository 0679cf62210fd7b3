/**
 * Zod schemas of the oasst export formats (spec §3; upstream `oasst-data/oasst_data/schemas.py`):
 * the nested ExportMessageNode, ExportMessageTree, the flat message line and Hugging Face rows.
 * Every optional field accepts both a missing key and `null`, because upstream writers omit
 * nulls while Hugging Face rows and nested message dumps spell them out.
 */
import { z } from 'zod';

const nullableString = z.string().nullish();
const count = z.number().int().nonnegative();

/** A label aggregate: mean of the per-user values (null when unknown) and how many users gave one. */
export const labelAvgValueSchema = z.object({ value: z.number().nullable(), count });

/** The seven Detoxify scores upstream stored per message. */
export const detoxifySchema = z.object({
	toxicity: z.number(),
	severe_toxicity: z.number(),
	obscene: z.number(),
	identity_attack: z.number(),
	insult: z.number(),
	threat: z.number(),
	sexual_explicit: z.number()
});

const eventBase = { user_id: nullableString };

/** One event of an exported message; every kind carries the acting `user_id`. */
export const exportMessageEventSchema = z.discriminatedUnion('type', [
	z.object({ ...eventBase, type: z.literal('emoji'), emoji: z.string() }),
	z.object({ ...eventBase, type: z.literal('rating'), rating: z.string() }),
	z.object({
		...eventBase,
		type: z.literal('ranking'),
		ranking: z.array(z.number().int()),
		ranked_message_ids: z.array(z.string()),
		ranking_parent_id: nullableString,
		message_tree_id: nullableString,
		not_rankable: z.boolean().nullish()
	}),
	z.object({ ...eventBase, type: z.literal('report'), report_type: z.string(), reason: z.string() }),
	z.object({ ...eventBase, type: z.literal('score'), score: z.number().int().min(-1).max(1) })
]);

/** Emoji counts as exported: `{code: count}`. */
export const emojiMapSchema = z.record(z.string(), count);
/** Label aggregates as exported: `{name: {value, count}}`. */
export const labelMapSchema = z.record(z.string(), labelAvgValueSchema);
/** Events by kind. */
export const eventMapSchema = z.record(z.string(), z.array(exportMessageEventSchema));

/**
 * A message with its replies nested (tree form, and the nested message form). Fields are listed
 * inline, not spread from a shared object: a spread breaks TypeScript's inference of the
 * recursive getter.
 */
export const exportMessageNodeSchema = z.object({
	message_id: z.string().min(1),
	parent_id: nullableString,
	user_id: nullableString,
	created_date: nullableString,
	text: z.string(),
	role: z.enum(['prompter', 'assistant']),
	lang: nullableString,
	review_count: count.nullish(),
	review_result: z.boolean().nullish(),
	deleted: z.boolean().nullish(),
	rank: z.number().int().nonnegative().nullish(),
	synthetic: z.boolean().nullish(),
	model_name: nullableString,
	emojis: emojiMapSchema.nullish(),
	get replies() {
		return z.array(exportMessageNodeSchema).nullish();
	},
	labels: labelMapSchema.nullish(),
	events: eventMapSchema.nullish(),
	detoxify: detoxifySchema.nullish(),
	message_tree_id: nullableString,
	tree_state: nullableString
});

/** One tree line: `{message_tree_id, tree_state, prompt, origin}`. */
export const exportMessageTreeSchema = z.object({
	message_tree_id: z.string().min(1),
	tree_state: nullableString,
	prompt: exportMessageNodeSchema.nullish(),
	origin: nullableString
});

/** A Hugging Face row (oasst1/oasst2 parquet): flat, with emojis and labels as parallel arrays. */
export const hfRowSchema = exportMessageNodeSchema
	.omit({ replies: true, events: true, emojis: true, labels: true, created_date: true })
	.extend({
		// Parquet dumped through pandas writes timestamps as epoch milliseconds.
		created_date: z.union([z.string(), z.number()]).nullish(),
		emojis: z.object({ name: z.array(z.string()), count: z.array(count) }).nullish(),
		labels: z
			.object({ name: z.array(z.string()), value: z.array(z.number().nullable()), count: z.array(count) })
			.nullish()
	});

/** A message line as read (nested replies allowed, as in `en_100_message.jsonl`). */
export type ExportMessageNodeInput = z.infer<typeof exportMessageNodeSchema>;
/** A tree line as read. */
export type ExportMessageTreeInput = z.infer<typeof exportMessageTreeSchema>;
/** A Hugging Face row as read. */
export type HfRowInput = z.infer<typeof hfRowSchema>;
/** One exported event. */
export type ExportMessageEvent = z.infer<typeof exportMessageEventSchema>;
/** One label aggregate. */
export type LabelAvgValue = z.infer<typeof labelAvgValueSchema>;
/** Detoxify scores. */
export type Detoxify = z.infer<typeof detoxifySchema>;

/**
 * A node as written: null fields are left out, so each one is optional. Keys are written in
 * upstream's field order so a tree we write reads like one upstream wrote.
 */
export interface ExportMessageNode {
	message_id: string;
	parent_id?: string;
	user_id?: string;
	created_date?: string;
	text: string;
	role: 'prompter' | 'assistant';
	lang?: string;
	review_count?: number;
	review_result?: boolean;
	deleted?: boolean;
	rank?: number;
	synthetic?: boolean;
	model_name?: string;
	emojis?: Record<string, number>;
	replies?: ExportMessageNode[];
	labels?: Record<string, LabelAvgValue>;
	events?: Record<string, ExportMessageEvent[]>;
	detoxify?: Detoxify;
	message_tree_id?: string;
	tree_state?: string;
}

/** A tree as written. */
export interface ExportMessageTree {
	message_tree_id: string;
	tree_state?: string;
	prompt: ExportMessageNode;
	origin?: string;
}
