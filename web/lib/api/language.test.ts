import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setLocale } from '../i18n/locale';
import { languageLabel, taskLanguageFor } from './language';

/** A Storage over a Map: the Node test environment has no localStorage of its own. */
function memoryStorage(): Storage {
	const items = new Map<string, string>();
	return {
		get length() {
			return items.size;
		},
		clear: () => items.clear(),
		getItem: (key) => items.get(key) ?? null,
		key: (index) => [...items.keys()][index] ?? null,
		removeItem: (key) => void items.delete(key),
		setItem: (key, value) => void items.set(key, String(value))
	};
}

describe('the task language', () => {
	beforeEach(() => {
		vi.stubGlobal('localStorage', memoryStorage());
		vi.stubGlobal('navigator', { language: 'fr-FR', languages: ['fr-FR'] });
	});
	afterEach(() => {
		setLocale('en', false);
		vi.unstubAllGlobals();
	});

	it('follows the browser when no interface language was chosen', () => {
		setLocale('de', false); // matched from the browser, not remembered: not a choice
		expect(taskLanguageFor(null)).toBe('fr');
		expect(taskLanguageFor({ language: null })).toBe('fr');
	});

	it('uses the interface language the user chose before the browser language', () => {
		setLocale('de');
		expect(taskLanguageFor(null)).toBe('de');
		expect(taskLanguageFor({ language: null })).toBe('de');
		setLocale('en');
		expect(taskLanguageFor({})).toBe('en');
	});

	it('keeps the account setting above both', () => {
		setLocale('de');
		expect(taskLanguageFor({ language: 'sv' })).toBe('sv');
		expect(taskLanguageFor({ language: 'pt-BR' })).toBe('pt-BR');
	});

	it('falls back to English for a browser language oasst did not use', () => {
		vi.stubGlobal('navigator', { language: 'xx-YY', languages: ['xx-YY'] });
		expect(taskLanguageFor(null)).toBe('en');
	});

	it('names task languages in the interface language, with their own name', () => {
		expect(languageLabel('sv')).toBe('Swedish (Svenska)');
		expect(languageLabel('en')).toBe('English');
		setLocale('de', false);
		expect(languageLabel('sv')).toBe('Schwedisch (Svenska)');
		expect(languageLabel('de')).toBe('Deutsch');
		expect(languageLabel('qq')).toBe('qq');
	});
});
