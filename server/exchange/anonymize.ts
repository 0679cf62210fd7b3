/**
 * Deterministic re-keying of exported ids (upstream's `--anonymizer-seed`), so a dataset can be
 * published without the ids that link it to accounts, yet stay consistent across files exported
 * with the same seed.
 *
 * Each id becomes HMAC-SHA256(seed, "<namespace>:<id>"), its first 16 bytes written as an RFC 9562
 * version-8 ("custom") uuid. Message ids and tree ids share the `message` namespace, so a tree id
 * still equals its root's message id (upstream forgot to re-key tree ids in tree exports).
 */
import { createHmac } from 'node:crypto';
import type { OasstRecord } from './oasst-format.js';
import type { ExportMessageEvent } from './oasst-schemas.js';

/** What an id names; ids of different kinds never map to the same output. */
export type IdNamespace = 'message' | 'user';

/** The anonymous uuid for `id` under `seed`. */
export function anonymousId(seed: string, namespace: IdNamespace, id: string): string {
	const bytes = createHmac('sha256', seed).update(`${namespace}:${id}`).digest().subarray(0, 16);
	bytes[6] = (bytes[6] & 0x0f) | 0x80; // version 8
	bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 9562 variant
	const hex = bytes.toString('hex');
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Re-key message, parent, tree and user ids of `records` — and the ids inside their events —
 * deterministically from `seed`. Returns new records.
 *
 * @throws RangeError for an empty seed (it would make the mapping guessable).
 */
export function anonymize(records: readonly OasstRecord[], seed: string): OasstRecord[] {
	if (seed.length === 0) throw new RangeError('anonymize: the seed must not be empty');
	const memo = new Map<string, string>();
	const key = (namespace: IdNamespace, id: string): string => {
		const k = `${namespace}:${id}`;
		let out = memo.get(k);
		if (out === undefined) {
			out = anonymousId(seed, namespace, id);
			memo.set(k, out);
		}
		return out;
	};
	const message = (id: string | null | undefined) => (id == null ? id : key('message', id));
	const user = (id: string | null | undefined) => (id == null ? id : key('user', id));

	const event = (e: ExportMessageEvent): ExportMessageEvent => {
		const withUser = { ...e, user_id: user(e.user_id) };
		if (withUser.type !== 'ranking') return withUser;
		return {
			...withUser,
			ranked_message_ids: withUser.ranked_message_ids.map((id) => key('message', id)),
			ranking_parent_id: message(withUser.ranking_parent_id),
			message_tree_id: message(withUser.message_tree_id)
		};
	};

	return records.map((r) => ({
		...r,
		messageId: key('message', r.messageId),
		parentId: r.parentId === null ? null : key('message', r.parentId),
		treeId: r.treeId === null ? null : key('message', r.treeId),
		userId: r.userId === null ? null : key('user', r.userId),
		events:
			r.events === null
				? null
				: Object.fromEntries(Object.entries(r.events).map(([kind, list]) => [kind, list.map(event)]))
	}));
}
