/**
 * Queries built and compiled once, then run with fresh parameters. Building a Kysely query
 * and compiling it to SQL costs more than running a small indexed query on SQLite, so the
 * hottest fixed-shape queries (a task request, ack and submission run each several times)
 * are declared with `prepared` and skip both steps after their first use per dialect.
 *
 * How: the builder runs once with placeholder strings for the arguments; the compiled query's
 * parameters that are placeholders are replaced by the call's arguments, in place, every time.
 * Only scalar arguments that end up as bound parameters may be passed (no `in` lists of
 * varying length, no identifiers), and the builder must not branch on them (it sees the
 * placeholders, once): pass a nullable value straight through, not `value ?? fallback`. A
 * builder that does not bind an argument is refused.
 */
import { sql, type CompiledQuery, type Compilable, type RawBuilder } from 'kysely';
import type { Db } from '../env.js';

type Scalar = string | number | null;

const PLACEHOLDER = '\u0000oasis-prepared-argument-';

interface Prepared {
	query: CompiledQuery;
	/** For each compiled parameter: the argument index it takes, or -1 for a constant. */
	sources: number[];
}

/**
 * Declare a prepared query: `build(db, ...args)` builds it (args are placeholders then, to be
 * used only as values); calling the result runs it on `db` (a handle or a transaction) with
 * `args` and resolves with its rows.
 */
export function prepared<Args extends Scalar[], Row>(arity: Args['length'], build: (db: Db, ...args: Args) => Compilable<Row>): (db: Db, ...args: Args) => Promise<Row[]> {
	// One compiled form per dialect adapter (SQLite's `?` and PostgreSQL's `$1` differ).
	const byAdapter = new WeakMap<object, Prepared>();
	const compile = (db: Db): Prepared => {
		const placeholders = Array.from({ length: arity }, (_, i) => `${PLACEHOLDER}${i}`) as Args;
		const query = build(db, ...placeholders).compile();
		const sources = query.parameters.map((p) => (typeof p === 'string' && p.startsWith(PLACEHOLDER) ? Number(p.slice(PLACEHOLDER.length)) : -1));
		for (let i = 0; i < arity; i++) if (!sources.includes(i)) throw new Error(`prepared query argument ${i} is not a bound parameter: ${query.sql}`);
		return { query, sources };
	};
	return async (db, ...args) => {
		const adapter = db.getExecutor().adapter;
		let p = byAdapter.get(adapter);
		if (!p) byAdapter.set(adapter, (p = compile(db)));
		const parameters = p.sources.map((source, i) => (source < 0 ? p.query.parameters[i] : args[source]));
		const result = await db.executeQuery<Row>({ ...p.query, parameters });
		return result.rows;
	};
}

/**
 * A column that must not pick the index for a query: `+column` (unary plus, the same value on
 * both dialects) keeps SQLite's planner from using an index on it. Without statistics the
 * planner prefers the index with the most equality terms, e.g. `task(done, skipped, …)` — every
 * open task of everyone, and abandoned tasks stay open — over `task(user_id, …)`.
 */
export function unindexed(column: string): RawBuilder<number> {
	return sql<number>`+${sql.ref(column)}`;
}
