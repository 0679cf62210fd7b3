import { describe, expect, it } from 'vitest';
import { newestLeaf, resolveLeaf, siblingPosition, siblingsOf, switchSibling, threadTo, type TreeNode } from './tree';
import { samplingFor, PRESETS, NEUTRAL } from './presets';

// u1 → a1 → u2 → a2
//         ↘ u2b → a2b        (edited prompt: a new branch)
//   ↘ a1b                     (regenerated reply: a sibling)
const n = (id: string, parentId: string | null, createdAt: number): TreeNode => ({ id, parentId, createdAt });
const tree = [n('u1', null, 1), n('a1', 'u1', 2), n('u2', 'a1', 3), n('a2', 'u2', 4), n('u2b', 'a1', 5), n('a2b', 'u2b', 6), n('a1b', 'u1', 7)];
const ids = (xs: TreeNode[]) => xs.map((x) => x.id);

describe('chat tree', () => {
	it('follows a leaf back to the root', () => {
		expect(ids(threadTo(tree, 'a2'))).toEqual(['u1', 'a1', 'u2', 'a2']);
		expect(ids(threadTo(tree, 'a1b'))).toEqual(['u1', 'a1b']);
		expect(threadTo(tree, 'nope')).toEqual([]);
		expect(threadTo(tree, null)).toEqual([]);
	});

	it('lists siblings oldest first, with positions', () => {
		expect(ids(siblingsOf(tree, 'a1b'))).toEqual(['a1', 'a1b']);
		expect(ids(siblingsOf(tree, 'u2'))).toEqual(['u2', 'u2b']);
		expect(siblingPosition(tree, 'a1b')).toEqual({ index: 1, count: 2 });
		expect(siblingPosition(tree, 'u1')).toEqual({ index: 0, count: 1 });
	});

	it('switches branches to the newest leaf below the sibling', () => {
		expect(newestLeaf(tree, 'a1')).toBe('a2b');
		expect(switchSibling(tree, 'a1b', -1)).toBe('a2b');
		expect(switchSibling(tree, 'a1', +1)).toBe('a1b');
		expect(switchSibling(tree, 'u2b', -1)).toBe('a2');
		expect(switchSibling(tree, 'a1', -1)).toBeNull(); // already first
	});

	it('resolves a missing active leaf to the newest thread', () => {
		expect(resolveLeaf(tree, 'a2')).toBe('a2');
		expect(resolveLeaf(tree, 'gone')).toBe('a1b');
		expect(resolveLeaf([], null)).toBeNull();
	});

	it('does not loop on a corrupt cycle', () => {
		expect(ids(threadTo([n('x', 'y', 1), n('y', 'x', 2)], 'x'))).toEqual(['y', 'x']);
	});
});

describe('sampling presets', () => {
	it('has the original presets, k50 variants changing only temperature', () => {
		expect(PRESETS.map((p) => p.id)).toEqual(['k50', 'k50-Creative', 'k50-Precise', 'nucleus9', 'typical2', 'typical3']);
		expect(samplingFor('k50', NEUTRAL, 64)).toEqual({ temperature: 0.75, top_k: 50, top_p: 0.95, typical_p: 1, repetition_penalty: 1.2, max_tokens: 64 });
		expect(samplingFor('k50-Precise', NEUTRAL, 64).temperature).toBe(0.1);
		expect(samplingFor('typical3', NEUTRAL, 64).typical_p).toBe(0.3);
	});
	it('clamps custom values to what the engine accepts', () => {
		const v = samplingFor('custom', { ...NEUTRAL, temperature: -1, top_p: 3, typical_p: 0, top_k: 2.6, repetition_penalty: NaN }, 0);
		expect(v).toEqual({ temperature: 0, top_k: 3, top_p: 1, typical_p: 0.01, repetition_penalty: 1, max_tokens: 1 });
	});
});
