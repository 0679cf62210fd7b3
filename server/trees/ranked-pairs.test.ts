import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareCodePoints, consensusForParent, rankedPairs } from './ranked-pairs.js';

const rep = (n: number, ballot: string): string[][] => Array.from({ length: n }, () => [...ballot]);

const C = 'c5181083-d3e9-41e7-a935-83fb9fa01488';
const D = 'dcf3d179-0f34-4c15-ae21-b8feb15e422d';
const E = 'd11705af-5575-43e5-b22e-08d155fbaa62';

/** Every case of the spec's table (§2), outputs derived upstream by running ranking.py. */
const TABLE: [name: string, ballots: string[][], expected: string[]][] = [
	['__main__', [[C, D, E], [E, C, D], [D, C, E], [E, C, D]], [C, E, D]],
	[
		'docstring',
		[...rep(3, 'wxzy'), ...rep(2, 'wyxz'), ...rep(4, 'xyzw'), ...rep(5, 'xzwy'), ...rep(1, 'ywxz')],
		[...'xzwy']
	],
	['commented __main__', [...rep(1, 'wxzy'), ...rep(2, 'wyxz'), ...rep(5, 'xzwy'), ...rep(1, 'ywxz')], [...'xzwy']],
	['single voter', [[...'abc']], [...'abc']],
	['2-way tie (ab, ba)', [[...'ab'], [...'ba']], [...'ab']],
	['2-way tie (ba, ab)', [[...'ba'], [...'ab']], [...'ab']],
	['Condorcet cycle', [[...'abc'], [...'bca'], [...'cab']], [...'abc']],
	['unanimous', rep(3, 'dcba'), [...'dcba']],
	['majority', [[...'abc'], [...'abc'], [...'cba']], [...'abc']],
	['4-item rotation', [[...'abcd'], [...'bcda'], [...'cdab']], [...'abcd']]
];

describe('rankedPairs: the spec table', () => {
	it.each(TABLE)('%s', (_name, ballots, expected) => {
		expect(rankedPairs(ballots)).toEqual(expected);
	});
});

/** Outputs of the upstream Python function on random ballots (generated once, see __fixtures__/README.md). */
const upstream = JSON.parse(
	readFileSync(new URL('./__fixtures__/ranked-pairs-upstream.json', import.meta.url), 'utf8')
) as { ballots: string[][]; output: string[] }[];

describe('rankedPairs: recorded upstream outputs', () => {
	it(`matches all ${upstream.length} recorded cases`, () => {
		for (const { ballots, output } of upstream) expect(rankedPairs(ballots)).toEqual(output);
	});
	it('and so does the independent implementation below', () => {
		for (const { ballots, output } of upstream) expect(referenceRankedPairs(ballots)).toEqual(output);
		for (const [, ballots, expected] of TABLE) expect(referenceRankedPairs(ballots)).toEqual(expected);
	});
});

describe('rankedPairs: edges', () => {
	it('cuts ballots down to the common ids', () => {
		expect(rankedPairs([[...'xbac'], [...'bca'], [...'acby']])).toEqual(rankedPairs([[...'bac'], [...'bca'], [...'acb']]));
	});
	it('returns fewer than 2 common ids unranked', () => {
		expect(rankedPairs([])).toEqual([]);
		expect(rankedPairs([['a', 'b'], ['a', 'c']])).toEqual(['a']);
	});
	it('rejects a ballot naming an id twice', () => {
		expect(() => rankedPairs([['a', 'a']])).toThrow(RangeError);
	});
	it('orders ids by code point, like Python', () => {
		// U+FF61 is above the surrogates in UTF-16 but below U+1F600 by code point.
		expect(compareCodePoints('\uff61', '\u{1f600}')).toBeLessThan(0);
		expect('\uff61' < '\u{1f600}').toBe(false);
		expect(rankedPairs([['\u{1f600}', '\uff61'], ['\uff61', '\u{1f600}']])).toEqual(['\uff61', '\u{1f600}']);
	});
});

// ---------------------------------------------------------------------------------------------
// A second, independent implementation: explicit (margin, i, j) ordering instead of a stable
// sort, DFS reachability instead of sink removal, and the final order read off the number of
// descendants each node reaches in the locked graph (a total order once every pair is decided).
// ---------------------------------------------------------------------------------------------
function referenceRankedPairs(ballots: string[][]): string[] {
	const common = ballots.length === 0 ? [] : ballots[0].filter((id) => ballots.every((b) => b.includes(id)));
	const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
	const names = [...common].sort(byBytes);
	if (names.length < 2) return names;
	const pos = ballots.map((b) => {
		const filtered = b.filter((id) => common.includes(id));
		return new Map(filtered.map((id, k) => [id, k]));
	});
	const prefer = (i: string, j: string) => pos.filter((p) => (p.get(i) ?? 0) < (p.get(j) ?? 0)).length;
	const candidates: { i: number; j: number; m: number }[] = [];
	names.forEach((a, i) =>
		names.forEach((b, j) => {
			const m = prefer(a, b) - prefer(b, a);
			if (i !== j && m >= 0) candidates.push({ i, j, m });
		})
	);
	candidates.sort((x, y) => y.m - x.m || x.i - y.i || x.j - y.j);
	const out = names.map(() => new Set<number>());
	const reaches = (from: number, to: number): boolean => {
		const seen = new Set<number>();
		const stack = [from];
		while (stack.length > 0) {
			const v = stack.pop() as number;
			if (v === to) return true;
			if (seen.has(v)) continue;
			seen.add(v);
			stack.push(...out[v]);
		}
		return false;
	};
	for (const { i, j } of candidates) if (!reaches(j, i)) out[i].add(j);
	const descendants = (v: number) => names.filter((_, u) => u !== v && reaches(v, u)).length;
	return names
		.map((id, v) => ({ id, d: descendants(v) }))
		.sort((x, y) => y.d - x.d)
		.map((x) => x.id);
}

/** Random ballots over a few ids (small alphabets and voter counts give many ties and cycles). */
const ballotsArb = fc
	.record({
		ids: fc.uniqueArray(fc.oneof(fc.constantFrom(...'abcdefg'), fc.string({ minLength: 1, maxLength: 3, unit: 'grapheme' })), {
			minLength: 2,
			maxLength: 6
		}),
		voters: fc.integer({ min: 1, max: 8 }),
		extra: fc.constantFrom('x-extra', 'y-extra')
	})
	.chain(({ ids, voters, extra }) =>
		fc.array(
			fc.tuple(fc.shuffledSubarray(ids, { minLength: ids.length }), fc.boolean(), fc.nat()).map(([perm, withExtra, at]) =>
				withExtra ? [...perm.slice(0, at % (perm.length + 1)), extra, ...perm.slice(at % (perm.length + 1))] : perm
			),
			{ minLength: voters, maxLength: voters }
		)
	);

describe('rankedPairs: properties', () => {
	it('agrees with an independent implementation on random ballots, ties and cycles included', () => {
		fc.assert(
			fc.property(ballotsArb, (ballots) => {
				expect(rankedPairs(ballots)).toEqual(referenceRankedPairs(ballots));
			}),
			{ numRuns: 3000 }
		);
	});

	it('returns a permutation of the common ids', () => {
		fc.assert(
			fc.property(ballotsArb, (ballots) => {
				const common = ballots[0].filter((id) => ballots.every((b) => b.includes(id)));
				expect([...rankedPairs(ballots)].sort()).toEqual([...common].sort());
			})
		);
	});

	it('gives the ballot order when every ballot is the same', () => {
		fc.assert(
			fc.property(fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 2, maxLength: 8 }), fc.integer({ min: 1, max: 6 }), (ids, v) => {
				expect(rankedPairs(Array.from({ length: v }, () => ids))).toEqual(ids);
			})
		);
	});

	it('puts a Condorcet winner first', () => {
		fc.assert(
			fc.property(ballotsArb, (ballots) => {
				const order = rankedPairs(ballots);
				const beats = (a: string, b: string) =>
					ballots.filter((x) => x.indexOf(a) < x.indexOf(b)).length > ballots.filter((x) => x.indexOf(b) < x.indexOf(a)).length;
				const winner = order.find((a) => order.every((b) => a === b || beats(a, b)));
				if (winner !== undefined) expect(order[0]).toBe(winner);
			}),
			{ numRuns: 2000 }
		);
	});
});

describe('consensusForParent', () => {
	it('leaves not-rankable ballots out and gives null to siblings outside the common set', () => {
		const result = consensusForParent(
			[
				{ rankedIds: ['b', 'a'], notRankable: false },
				{ rankedIds: ['b', 'a', 'c'], notRankable: false },
				{ rankedIds: ['a', 'b', 'c'], notRankable: true },
				{ rankedIds: ['a', 'b'], notRankable: true }
			],
			['a', 'b', 'c', 'd']
		);
		expect(result.order).toEqual(['b', 'a']);
		expect(result.ballotsCounted).toBe(2);
		expect(Object.fromEntries(result.ranks)).toEqual({ a: 1, b: 0, c: null, d: null });
	});

	it('ranks nothing with no rankable ballot or fewer than 2 common ids', () => {
		expect(consensusForParent([{ rankedIds: ['a', 'b'], notRankable: true }]).order).toEqual([]);
		const thin = consensusForParent([
			{ rankedIds: ['a', 'b'], notRankable: false },
			{ rankedIds: ['a', 'c'], notRankable: false }
		]);
		expect(thin.order).toEqual([]);
		expect(Object.fromEntries(thin.ranks)).toEqual({ a: null, b: null, c: null });
	});
});
