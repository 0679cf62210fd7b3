/**
 * The language a volunteer's tasks are in: their account setting; else the interface language
 * when they picked one themselves (a German interface chosen on purpose means German tasks);
 * else the browser's language (its primary subtag, matched to the languages Open Assistant
 * used); else English.
 */
import { getLocale, localeChosen, SOURCE_LOCALE } from '../i18n/locale';
import { isLanguageCode, LANGUAGES, languageName, taskLanguage } from '../../../server/users/languages';

export { LANGUAGE_CODES, languageName, type LanguageCode } from '../../../server/users/languages';

/** The task language for `user` (null: signed out) in this browser. */
export function taskLanguageFor(user: { language?: string | null } | null | undefined): string {
	const fallback = localeChosen() ? getLocale() : typeof navigator === 'undefined' ? null : navigator.language;
	return taskLanguage(user?.language ?? null, fallback);
}

/**
 * A task language's name for the interface: "Swedish (Svenska)" in English (as `languageName`),
 * "Schwedisch (Svenska)" in German — the name in the interface language, then its own name.
 */
export function languageLabel(code: string): string {
	const locale = getLocale();
	if (locale === SOURCE_LOCALE || !isLanguageCode(code)) return languageName(code);
	const native = LANGUAGES[code][1];
	let name: string | undefined;
	try {
		name = new Intl.DisplayNames([locale], { type: 'language' }).of(code);
	} catch {
		name = undefined;
	}
	if (!name || name === code) return languageName(code);
	return name === native ? name : `${name} (${native})`;
}
