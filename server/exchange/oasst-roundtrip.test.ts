import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type OasstRecord, buildTrees, orphanRecords, parseOasstLine, resolveTreeIds, toMessageLines } from './oasst-format.js';

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });

/** A record's own fields (ids and tree fields are filled in by `forestArb`). */
const fieldsArb = fc.record({
	userId: maybe(fc.uuid()),
	createdDate: maybe(fc.date({ noInvalidDate: true }).map((d) => d.toISOString())),
	text: fc.string({ unit: 'binary', maxLength: 40 }),
	role: fc.constantFrom('prompter' as const, 'assistant' as const),
	lang: maybe(fc.constantFrom('en', 'de', 'zh', 'pt-BR')),
	reviewCount: maybe(fc.nat(5)),
	reviewResult: maybe(fc.boolean()),
	deleted: maybe(fc.boolean()),
	rank: maybe(fc.nat(3)),
	synthetic: maybe(fc.boolean()),
	modelName: maybe(fc.string({ minLength: 1, maxLength: 8 })),
	emojis: maybe(fc.dictionary(fc.constantFrom('+1', '-1', 'red_flag', '_skip_reply'), fc.nat(20))),
	labels: maybe(
		fc.dictionary(
			fc.constantFrom('spam', 'quality', 'pii'),
			fc.record({ value: maybe(fc.double({ min: 0, max: 1, noNaN: true })), count: fc.nat(9) })
		)
	),
	events: fc.constant(null),
	detoxify: fc.constant(null)
});

/** A forest: each record's parent is an earlier record or none; tree fields follow the root. */
const forestArb = fc
	.array(fc.tuple(fieldsArb, fc.nat(), fc.boolean(), maybe(fc.constantFrom('ready_for_export', 'growing'))), {
		minLength: 1,
		maxLength: 25
	})
	.map((rows) => {
		const records: OasstRecord[] = [];
		rows.forEach(([fields, pick, root, state], i) => {
			const parent = i === 0 || root ? undefined : records[pick % i];
			records.push({
				...fields,
				messageId: `m-${i}`,
				parentId: parent?.messageId ?? null,
				treeId: parent?.treeId ?? `m-${i}`,
				treeState: parent ? parent.treeState : state,
				treeOrigin: null,
				lineNo: 0
			});
		});
		return records;
	});

const reparse = (lines: string[]) =>
	lines.flatMap((line, i) => {
		const parsed = parseOasstLine(line, i + 1);
		if (!parsed.ok) throw new Error(parsed.message);
		return parsed.records.map((r) => ({ ...r, lineNo: 0 }));
	});

const byId = (records: OasstRecord[]) => new Map(records.map((r) => [r.messageId, r]));

describe('round trips on random forests', () => {
	it('message lines give back every record', () => {
		fc.assert(
			fc.property(forestArb, (records) => {
				expect(byId(resolveTreeIds(reparse(toMessageLines(records, { everything: true }))))).toEqual(byId(records));
			})
		);
	});

	it('tree lines give back every record, replies ordered by rank', () => {
		fc.assert(
			fc.property(forestArb, (records) => {
				const trees = buildTrees(records, { everything: true });
				expect(orphanRecords(records)).toEqual([]);
				expect(byId(reparse(trees.map((t) => JSON.stringify(t))))).toEqual(byId(records));
				const visit = (node: (typeof trees)[number]['prompt']) => {
					const ranks = (node.replies ?? []).map((r) => r.rank ?? Number.POSITIVE_INFINITY);
					expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
					node.replies?.forEach(visit);
				};
				trees.forEach((t) => visit(t.prompt));
			})
		);
	});
});
