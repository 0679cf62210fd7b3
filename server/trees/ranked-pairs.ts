/**
 * Ranking consensus: Tideman ranked pairs, step for step as upstream Open Assistant computed it
 * (`backend/oasst_backend/utils/ranking.py`, called from `TreeManager.ranked_pairs_update`).
 *
 * Legend: n = number of candidate ids (siblings under one parent), V = number of ballots.
 * A ballot lists ids best first. Candidates are indexed by their position in `names`, the ids
 * sorted by code point — that index is what every tie is broken on, so ties and pure cycles go
 * to the lexicographically smaller id, as upstream.
 *
 * The steps are kept literal (tallies → margins → row-major pairs → stable sort → lock-in with
 * sink-removal cycle detection → winner extraction) because the exact output on ties is the
 * behaviour we must reproduce; an independent implementation in the tests checks it.
 */

/** One directed pair of candidate indices, winner first. */
type Pair = readonly [winner: number, loser: number];

/** Compare strings by Unicode code point, as Python's `sorted` does (JS `<` compares UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
	const ia = a[Symbol.iterator]();
	const ib = b[Symbol.iterator]();
	for (;;) {
		const ca = ia.next();
		const cb = ib.next();
		if (ca.done || cb.done) return ca.done ? (cb.done ? 0 : -1) : 1;
		const d = (ca.value.codePointAt(0) ?? 0) - (cb.value.codePointAt(0) ?? 0);
		if (d !== 0) return d;
	}
}

/** Ids present in every ballot, in no particular order. */
export function commonIds(ballots: readonly (readonly string[])[]): Set<string> {
	if (ballots.length === 0) return new Set();
	const common = new Set(ballots[0]);
	for (const ballot of ballots.slice(1)) {
		const here = new Set(ballot);
		for (const id of common) if (!here.has(id)) common.delete(id);
	}
	return common;
}

/**
 * Upstream's `cycle_detect`: repeatedly drop every edge that points at a sink (a node that is a
 * loser but never a winner); the edges contain a cycle iff at some point ≥ 2 edges remain and no
 * sink exists. Nodes on a cycle always keep an outgoing edge, so this test is exact.
 */
function hasCycle(edges: readonly Pair[]): boolean {
	let rest = edges;
	while (rest.length > 1) {
		const winners = new Set(rest.map(([w]) => w));
		const sinks = new Set(rest.map(([, l]) => l).filter((l) => !winners.has(l)));
		if (sinks.size === 0) return true;
		rest = rest.filter(([, l]) => !sinks.has(l));
	}
	return false;
}

/**
 * Upstream's `get_ranking`: while more than one pair is left, take the lowest-index node that
 * wins somewhere and never loses, and drop its outgoing edges; when one pair is left, append both.
 */
function extractOrder(edges: readonly Pair[]): number[] {
	const order: number[] = [];
	let rest = edges;
	while (rest.length > 1) {
		const losers = new Set(rest.map(([, l]) => l));
		const winners = [...new Set(rest.map(([w]) => w))].sort((a, b) => a - b);
		const top = winners.find((w) => !losers.has(w));
		// Unreachable for an acyclic lock-in graph; upstream would crash here too.
		if (top === undefined) throw new Error('ranked pairs: locked graph has no source');
		order.push(top);
		rest = rest.filter(([w]) => w !== top);
	}
	if (rest.length === 1) order.push(rest[0][0], rest[0][1]);
	return order;
}

/**
 * Tideman ranked-pairs consensus of `ballots` (each best first), exactly as upstream.
 *
 * Ballots are first cut down to the ids common to all of them (upstream's caller does this).
 * With fewer than 2 common ids there is nothing to rank and the common ids are returned as they
 * are (upstream skips the parent; its function would crash).
 *
 * @throws RangeError when a ballot names the same id twice.
 * @returns every common id exactly once, best first.
 */
export function rankedPairs(ballots: readonly (readonly string[])[]): string[] {
	for (const ballot of ballots) {
		if (new Set(ballot).size !== ballot.length) {
			throw new RangeError('ranked pairs: a ballot must name each id at most once');
		}
	}
	const common = commonIds(ballots);
	const names = [...common].sort(compareCodePoints);
	if (names.length < 2) return names;
	const n = names.length;
	const index = new Map(names.map((id, i) => [id, i]));

	// tallies[i][j] = number of voters who place names[i] before names[j]
	const tallies = names.map(() => new Array<number>(n).fill(0));
	for (const ballot of ballots) {
		const positions = ballot.filter((id) => common.has(id)).map((id) => index.get(id) ?? -1);
		for (let a = 0; a < n; a++) {
			for (let b = a + 1; b < n; b++) tallies[positions[a]][positions[b]] += 1;
		}
	}

	// Every pair with margin ≥ 0 in row-major order (both directions on a tie), then a stable
	// sort by margin, descending — Array.prototype.sort is stable, like Python's sorted().
	const majorities: { pair: Pair; margin: number }[] = [];
	for (let i = 0; i < n; i++) {
		for (let j = 0; j < n; j++) {
			const margin = tallies[i][j] - tallies[j][i];
			if (i !== j && margin >= 0) majorities.push({ pair: [i, j], margin });
		}
	}
	majorities.sort((x, y) => y.margin - x.margin);

	const locked: Pair[] = [];
	for (const { pair } of majorities) {
		locked.push(pair);
		if (hasCycle(locked)) locked.pop();
	}
	return extractOrder(locked).map((i) => names[i]);
}

/** One completed ranking of a parent's replies. */
export interface RankingBallot {
	/** Reply ids, best first. */
	rankedIds: readonly string[];
	/** The ranker said the replies cannot be ranked (all flawed). Such a ballot is left out. */
	notRankable: boolean;
}

/** The consensus for one parent. */
export interface ParentConsensus {
	/** Common ids, best first; empty when fewer than 2 ids are common to the counted ballots. */
	order: string[];
	/** Rank (0 = best) for every id in the common set; `null` for every other known sibling. */
	ranks: Map<string, number | null>;
	/** Ballots that took part (the rankable ones). */
	ballotsCounted: number;
}

/**
 * Consensus ranks for the replies of one parent.
 *
 * Unlike upstream, which ignored `not_rankable`, not-rankable ballots are left out (Oasis
 * records them but does not let them vote). `siblingIds` lists every reply of the parent so that
 * replies outside the common set (added after some rankings were made) get `null`; ids that only
 * appear on ballots are included too.
 */
export function consensusForParent(
	rankings: readonly RankingBallot[],
	siblingIds: readonly string[] = []
): ParentConsensus {
	const counted = rankings.filter((r) => !r.notRankable).map((r) => r.rankedIds);
	const ranks = new Map<string, number | null>();
	for (const id of siblingIds) ranks.set(id, null);
	for (const ballot of rankings) for (const id of ballot.rankedIds) ranks.set(id, null);

	const order = counted.length > 0 ? rankedPairs(counted) : [];
	// Upstream skips parents with fewer than 2 common ids and writes no rank at all.
	if (order.length < 2) return { order: [], ranks, ballotsCounted: counted.length };
	order.forEach((id, rank) => ranks.set(id, rank));
	return { order, ranks, ballotsCounted: counted.length };
}
