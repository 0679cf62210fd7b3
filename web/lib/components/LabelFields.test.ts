import { afterEach, describe, expect, it } from 'vitest';
import { LABEL_NAMES, LABELS } from '../../../server/trees/labels';
import { setLocale } from '../i18n/locale';
import { labelHelp, labelText, t } from '../i18n/catalogue/labels';

describe('label texts in the interface language', () => {
	afterEach(() => setLocale('en', false));

	it('has every label of the server, with the same English texts', () => {
		for (const name of LABEL_NAMES) {
			expect(t.in('en', name), name).toBe(LABELS[name].displayText);
			expect(t.in('en', `${name}_help`), name).toBe(LABELS[name].helpText);
		}
		expect(Object.keys(t.catalogues.en)).toHaveLength(LABEL_NAMES.length * 2);
	});

	it('shows the German when the interface is German, and the server text for an unknown label', () => {
		setLocale('de', false);
		expect(labelText('spam', LABELS.spam.displayText)).toBe('Ist das Spam?');
		expect(labelHelp('helpfulness', LABELS.helpfulness.helpText)).toMatch(/^Wie sehr die Antwort/);
		expect(labelText('brand_new', 'Brand new?')).toBe('Brand new?');
		expect(labelHelp('brand_new', 'Help.')).toBe('Help.');
		expect(labelText('spam_help', 'x')).toBe('x');
		setLocale('en', false);
		expect(labelText('spam', 'ignored')).toBe('Is this spam?');
	});
});
