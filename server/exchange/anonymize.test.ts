import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { anonymize, anonymousId } from './anonymize.js';
import { type OasstRecord, buildTrees, orphanRecords, parseOasstLine, resolveTreeIds } from './oasst-format.js';

const read = (url: URL) =>
	readFileSync(url, 'utf8')
		.split('\n')
		.flatMap((line, i) => {
			const parsed = parseOasstLine(line, i + 1);
			if (!parsed.ok) throw new Error(parsed.message);
			return parsed.records;
		});

const tree = read(new URL('../../../shared/data/oasst/en_100_tree.jsonl', import.meta.url));
const messages = resolveTreeIds(read(new URL('./__fixtures__/message-lines.jsonl', import.meta.url)));

describe('anonymousId', () => {
	it('is a deterministic RFC 9562 uuid that depends on seed, namespace and id', () => {
		const a = anonymousId('seed', 'message', 'x');
		expect(z.uuid().safeParse(a).success).toBe(true);
		expect(a[14]).toBe('8');
		expect(anonymousId('seed', 'message', 'x')).toBe(a);
		expect(anonymousId('seed2', 'message', 'x')).not.toBe(a);
		expect(anonymousId('seed', 'user', 'x')).not.toBe(a);
		expect(anonymousId('seed', 'message', 'y')).not.toBe(a);
	});
});

describe('anonymize', () => {
	it('re-keys every id consistently, so trees rebuild the same shape', () => {
		const anon = anonymize(tree, 'a seed');
		const originalIds = new Set(tree.map((r) => r.messageId));
		expect(anon.some((r) => originalIds.has(r.messageId))).toBe(false);
		expect(new Set(anon.map((r) => r.messageId)).size).toBe(1167);
		expect(orphanRecords(anon)).toEqual([]);
		const shape = (records: OasstRecord[]) =>
			JSON.stringify(buildTrees(records), (key, value: unknown) => (key.endsWith('_id') ? undefined : value));
		expect(shape(anon)).toBe(shape(tree));
		// The tree id is still its root's message id.
		for (const t of buildTrees(anon)) expect(t.message_tree_id).toBe(t.prompt.message_id);
		expect(anonymize(tree, 'a seed')).toEqual(anon);
	});

	it('re-keys users and the ids inside events, leaving missing ids missing', () => {
		const anon = anonymize(messages, 's');
		const users = new Map(messages.map((r, i) => [r.userId, anon[i].userId]));
		expect(users.get('u-1')).toBe(anonymousId('s', 'user', 'u-1'));
		expect(anon[0].userId).toBe(anon.find((r) => r.messageId === anonymousId('s', 'message', 'b1f0c2de-0000-4000-8000-000000000005'))?.userId);
		const ranked = anon.find((r) => r.events !== null)?.events;
		expect(ranked?.ranking?.[0]).toEqual({
			type: 'ranking',
			user_id: anonymousId('s', 'user', 'u-9'),
			ranking: [0, 1],
			ranked_message_ids: ['b1f0c2de-0000-4000-8000-000000000002', 'b1f0c2de-0000-4000-8000-000000000004'].map((id) =>
				anonymousId('s', 'message', id)
			),
			ranking_parent_id: anonymousId('s', 'message', 'b1f0c2de-0000-4000-8000-000000000001'),
			message_tree_id: anonymousId('s', 'message', 'b1f0c2de-0000-4000-8000-000000000001'),
			not_rankable: false
		});
		expect(ranked?.emoji?.[0].user_id).toBe(anonymousId('s', 'user', 'u-8'));
		const orphan = anon[anon.length - 1];
		expect(orphan.parentId).toBe(anonymousId('s', 'message', 'ffffffff-0000-4000-8000-00000000dead'));
		expect(orphan.treeId).toBeNull();
	});

	it('refuses an empty seed', () => {
		expect(() => anonymize(tree, '')).toThrow(RangeError);
	});
});
