import { describe, expect, it } from 'vitest';
import { CATALOGUE, modelEntrySchema, testCatalogue, type ModelEntry } from './catalogue';

const served: ModelEntry = {
	id: 'served',
	name: 'Served',
	engine: 'oasis',
	description: '',
	license: 'MIT',
	sizeBytes: 10,
	memoryBytes: 10,
	bundled: false,
	maxSeq: 64,
	requires: { webgpu: true, shaderF16: false },
	url: 'http://127.0.0.1:9/',
	files: [{ path: 'config.json', size: 10, sha256: 'a'.repeat(64) }]
};

describe('catalogue', () => {
	it('holds only valid entries with unique ids', () => {
		for (const e of CATALOGUE) expect(modelEntrySchema.safeParse(e).success, e.id).toBe(true);
		expect(new Set(CATALOGUE.map((e) => e.id)).size).toBe(CATALOGUE.length);
	});
});

describe('testCatalogue', () => {
	it('honours a page-declared entry on a loopback origin only', () => {
		for (const hostname of ['127.0.0.1', 'localhost']) expect(testCatalogue({ location: { hostname }, __oasisTestCatalogue: [served] })).toEqual([served]);
		expect(testCatalogue({ location: { hostname: 'oasis.example' }, __oasisTestCatalogue: [served] })).toEqual([]);
		expect(testCatalogue({ location: { hostname: '127.0.0.1' } })).toEqual([]);
	});

	it('ignores a declaration with an invalid entry, and never shadows a real one', () => {
		const bad = { ...served, files: [{ path: 'x', size: 1, sha256: 'not-a-hash' }] };
		expect(testCatalogue({ location: { hostname: '127.0.0.1' }, __oasisTestCatalogue: [served, bad] })).toEqual([]);
		expect(testCatalogue({ location: { hostname: '127.0.0.1' }, __oasisTestCatalogue: [{ ...served, id: CATALOGUE[0].id }] })).toEqual([]);
	});
});
