import { describe, expect, it } from 'vitest';
import { CACHE_LIMIT, childrenByParent, indentLevel, loadTree, saveTree } from './tree';

class MemoryStorage implements Storage {
	private data = new Map<string, string>();
	get length() {
		return this.data.size;
	}
	clear() {
		this.data.clear();
	}
	getItem(key: string) {
		return this.data.get(key) ?? null;
	}
	key(i: number) {
		return [...this.data.keys()][i] ?? null;
	}
	removeItem(key: string) {
		this.data.delete(key);
	}
	setItem(key: string, value: string) {
		this.data.set(key, value);
	}
}

const m = (id: string, parentId: string | null, rank: number | null, createdDate: string) => ({ id, parentId, rank, createdDate });

describe('tree view helpers', () => {
	it('puts replies under their parents, ranked first, then oldest; orphans become roots', () => {
		const tree = childrenByParent([
			m('r', null, null, '1'),
			m('c', 'r', null, '2'),
			m('b', 'r', 1, '5'),
			m('a', 'r', 0, '6'),
			m('d', 'r', null, '1'),
			m('x', 'gone', null, '3')
		]);
		expect(tree.get(null)!.map((n) => n.id)).toEqual(['r', 'x']);
		expect(tree.get('r')!.map((n) => n.id)).toEqual(['a', 'b', 'd', 'c']);
	});

	it('caps the indentation', () => {
		expect([0, 1, 4, 9].map(indentLevel)).toEqual([0, 1, 4, 4]);
	});

	it('keeps the most recent trees on the device', () => {
		const s = new MemoryStorage();
		for (let i = 0; i < CACHE_LIMIT + 3; i++) saveTree(s, `t${i}`, { n: i }, new Date(Date.UTC(2026, 0, 1, 0, i)));
		expect(loadTree(s, 't0')).toBeNull();
		expect(loadTree<{ n: number }>(s, `t${CACHE_LIMIT + 2}`)?.tree).toEqual({ n: CACHE_LIMIT + 2 });
		expect(loadTree(s, 't3')?.savedAt).toBe('2026-01-01T00:03:00.000Z');
		saveTree(s, 't3', { n: 99 });
		expect(s.length).toBe(CACHE_LIMIT + 1); // the index and the trees
	});
});
