import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../engine/catalogue';
import { setLocale } from './locale';
import { modelDescription } from './catalogue/models';

describe('model descriptions in the interface language', () => {
	it('English wording equals the catalogue’s own text for every built-in and WebLLM entry', () => {
		setLocale('en', false);
		for (const entry of CATALOGUE) expect(modelDescription(entry), entry.id).toBe(entry.description);
	});

	it('German wording for every built-in and WebLLM entry; other entries keep their own text', () => {
		setLocale('de', false);
		try {
			for (const entry of CATALOGUE) {
				const de = modelDescription(entry);
				expect(de, entry.id).not.toBe(entry.description);
				if (entry.engine === 'webllm') expect(de).toContain('von MLC kompiliert');
			}
			expect(modelDescription({ id: 'x', engine: 'oasis', description: 'My own model.' })).toBe('My own model.');
		} finally {
			setLocale('en', false);
		}
	});
});
