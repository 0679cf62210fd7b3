import { describe, expect, it } from 'vitest';
import { languageCodeSchema } from './auth.router.js';
import { isLanguageCode, languageName, matchLanguage, taskLanguage } from './languages.js';

describe('contribution languages', () => {
	it('matches browser tags to our codes', () => {
		expect(matchLanguage('de-AT')).toBe('de');
		expect(matchLanguage('DE')).toBe('de');
		expect(matchLanguage('pt-br')).toBe('pt-BR');
		expect(matchLanguage('pt-PT')).toBe('pt-BR'); // the only Portuguese we have
		expect(matchLanguage('uk')).toBe('uk-UA');
		expect(matchLanguage('nb_NO')).toBe('nb-NO');
		expect(matchLanguage('zh-Hant-TW')).toBe('zh');
		expect(matchLanguage('tlh')).toBeNull();
		expect(matchLanguage('')).toBeNull();
		expect(matchLanguage(undefined)).toBeNull();
	});

	it('prefers the setting, then the browser, then English', () => {
		expect(taskLanguage('fr', 'de-DE')).toBe('fr');
		expect(taskLanguage(null, 'de-DE')).toBe('de');
		expect(taskLanguage(null, 'tlh')).toBe('en');
		expect(taskLanguage('not-a-code', undefined)).toBe('en');
	});

	it('validates codes exactly as listed', () => {
		expect(isLanguageCode('pt-BR')).toBe(true);
		expect(isLanguageCode('pt-br')).toBe(false);
		expect(isLanguageCode('constructor')).toBe(false);
		expect(languageCodeSchema.safeParse('eo').success).toBe(true);
		expect(languageCodeSchema.safeParse('xx').success).toBe(false);
		expect(languageName('de')).toBe('German (Deutsch)');
		expect(languageName('en')).toBe('English');
		expect(languageName('xx')).toBe('xx');
	});
});
