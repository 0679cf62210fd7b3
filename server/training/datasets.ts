/**
 * Training data from an export snapshot, as pure functions over the flat records that
 * `exchange/oasst-format.ts` reads (the same lines a snapshot holds). Three objectives, as the
 * original's `load_oasst_export` (spec §6), plus a deterministic split:
 *
 * - **sft**: every root-to-leaf thread whose leaf is an assistant reply, as a role/content message
 *   list (`user` / `assistant`); the worker renders it with the model's own chat template.
 * - **reward**: for every parent with ≥ 2 ranked assistant replies, **all ordered pairs** (better
 *   rank, worse rank). The original's RMLoss sums −log σ(r_better − r_worse) over all pairs i < j of
 *   a group; adjacent pairs alone would drop the comparisons a ranking implies between its first
 *   and last reply (a group of 3 gives 3 pairs, not 2).
 * - **dpo**: the same pairs as (thread prefix, preferred reply, rejected reply) triples.
 *
 * Split: by tree, never by example, so no validation thread shares a prompt with a training one.
 * A tree is in validation when FNV-1a(`seed:treeId`) mod 10,000 < fraction × 10,000 — stable
 * across processes, platforms and snapshot orderings.
 */
import { type OasstRecord, parseOasstLine, resolveTreeIds } from '../exchange/oasst-format.js';

export type TrainingObjective = 'sft' | 'reward' | 'dpo';
export type Split = 'train' | 'validation';

/** A chat message, ready for a chat template. */
export interface ChatMessage {
	role: 'user' | 'assistant';
	content: string;
}

export interface SftExample {
	kind: 'sft';
	treeId: string;
	/** The leaf's message id (unique per example). */
	id: string;
	messages: ChatMessage[];
}

export interface PreferenceExample {
	kind: 'reward' | 'dpo';
	treeId: string;
	/** `<better id>><worse id>`. */
	id: string;
	/** The thread up to and including the prompter turn both replies answer. */
	prefix: ChatMessage[];
	chosen: string;
	rejected: string;
	chosenRank: number;
	rejectedRank: number;
}

export type TrainingExample = SftExample | PreferenceExample;

export interface Dataset {
	objective: TrainingObjective;
	train: TrainingExample[];
	validation: TrainingExample[];
}

/** 32-bit FNV-1a of a string's UTF-16 code units. */
export function fnv1a(text: string): number {
	let h = 0x811c9dc5;
	for (let i = 0; i < text.length; i++) {
		h ^= text.charCodeAt(i);
		h = Math.imul(h, 0x01000193) >>> 0;
	}
	return h >>> 0;
}

/** A small seeded PRNG (mulberry32) in [0, 1): deterministic data orders and initial values. */
export function mulberry32(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = Math.imul(a ^ (a >>> 15), a | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
	};
}

/** Which split a tree belongs to. */
export function splitOf(treeId: string, validationFraction: number, seed = 'oasis'): Split {
	return fnv1a(`${seed}:${treeId}`) % 10_000 < Math.round(validationFraction * 10_000) ? 'validation' : 'train';
}

/** Records of oasst JSONL lines (any of the three line kinds). @throws Error naming a bad line */
export function recordsOfLines(lines: Iterable<string>): OasstRecord[] {
	const records: OasstRecord[] = [];
	let lineNo = 0;
	for (const line of lines) {
		lineNo++;
		const parsed = parseOasstLine(line, lineNo);
		if (!parsed.ok) throw new Error(parsed.message);
		records.push(...parsed.records);
	}
	return resolveTreeIds(records);
}

interface Node {
	record: OasstRecord;
	children: Node[];
}

/** Usable messages: not deleted, not rejected by review; a dropped message takes its replies. */
function forest(records: readonly OasstRecord[]): Node[] {
	const nodes = new Map<string, Node>();
	for (const r of records) if (r.deleted !== true && r.reviewResult !== false && r.text.trim() !== '') nodes.set(r.messageId, { record: r, children: [] });
	const roots: Node[] = [];
	for (const node of nodes.values()) {
		const parentId = node.record.parentId;
		if (parentId === null) roots.push(node);
		else nodes.get(parentId)?.children.push(node);
	}
	// Records come parents first; keep that order for children and trees (stable output).
	return roots;
}

const chat = (r: OasstRecord): ChatMessage => ({ role: r.role === 'prompter' ? 'user' : 'assistant', content: r.text });

/** Threads from the root to each assistant leaf. */
export function sftExamples(records: readonly OasstRecord[]): SftExample[] {
	const out: SftExample[] = [];
	const walk = (node: Node, path: OasstRecord[]) => {
		const here = [...path, node.record];
		if (node.children.length === 0) {
			if (node.record.role === 'assistant') out.push({ kind: 'sft', treeId: here[0]!.treeId ?? here[0]!.messageId, id: node.record.messageId, messages: here.map(chat) });
			return;
		}
		for (const child of node.children) walk(child, here);
	};
	for (const root of forest(records)) walk(root, []);
	return out;
}

/** All ordered (better, worse) pairs of ranked assistant siblings, with their thread prefix. */
export function preferenceExamples(records: readonly OasstRecord[], kind: 'reward' | 'dpo'): PreferenceExample[] {
	const out: PreferenceExample[] = [];
	const walk = (node: Node, path: OasstRecord[]) => {
		const here = [...path, node.record];
		const ranked = node.children.filter((c) => c.record.role === 'assistant' && c.record.rank !== null).sort((a, b) => a.record.rank! - b.record.rank! || (a.record.messageId < b.record.messageId ? -1 : 1));
		if (node.record.role === 'prompter' && ranked.length >= 2) {
			for (let i = 0; i < ranked.length; i++) {
				for (let j = i + 1; j < ranked.length; j++) {
					const better = ranked[i]!.record;
					const worse = ranked[j]!.record;
					if (better.rank === worse.rank) continue; // a tie says nothing about preference
					out.push({
						kind,
						treeId: here[0]!.treeId ?? here[0]!.messageId,
						id: `${better.messageId}>${worse.messageId}`,
						prefix: here.map(chat),
						chosen: better.text,
						rejected: worse.text,
						chosenRank: better.rank!,
						rejectedRank: worse.rank!
					});
				}
			}
		}
		for (const child of node.children) walk(child, here);
	};
	for (const root of forest(records)) walk(root, []);
	return out;
}

/** The examples of one objective, split by tree. */
export function buildDataset(records: readonly OasstRecord[], objective: TrainingObjective, options: { validationFraction?: number; seed?: string } = {}): Dataset {
	const examples: TrainingExample[] = objective === 'sft' ? sftExamples(records) : preferenceExamples(records, objective);
	const fraction = options.validationFraction ?? 0.2;
	const dataset: Dataset = { objective, train: [], validation: [] };
	for (const e of examples) dataset[splitOf(e.treeId, fraction, options.seed) === 'validation' ? 'validation' : 'train'].push(e);
	return dataset;
}

/** The text of an example, for models without a chat template (and for counting characters). */
export function plainText(example: TrainingExample): string {
	const turn = (m: ChatMessage) => `${m.role === 'user' ? 'User' : 'Assistant'}: ${m.content}\n`;
	if (example.kind === 'sft') return example.messages.map(turn).join('');
	return example.prefix.map(turn).join('') + turn({ role: 'assistant', content: example.chosen });
}
