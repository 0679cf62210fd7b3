import { afterEach, describe, expect, it } from 'vitest';
import { setLocale } from '$lib/i18n';
import { loss, percent } from './format';

describe('training figures', () => {
	afterEach(() => setLocale('en', false));

	it('writes a pairwise accuracy as a percentage in the interface language, a dash when there is none', () => {
		expect([percent(0.875), percent(1), percent(0.12345), percent(null), percent(undefined)]).toEqual(['87.5%', '100%', '12.3%', '—', '—']);
		setLocale('de', false);
		expect([percent(0.875), percent(0)].map((s) => s.replace(/\u00a0/g, ' '))).toEqual(['87,5 %', '0 %']);
		expect(loss(1.23456)).toBe('1,2346');
	});
});
