/**
 * The languages a volunteer can contribute in: those of Open Assistant's oasst1 release and its
 * website's locales, with their codes as upstream wrote them (`pt-BR`, `uk-UA`, `nb-NO`). Plain
 * data and pure functions, so the web app imports this module too.
 */

/** Code → English name and native name, in code order. */
export const LANGUAGES = {
	ar: ['Arabic', 'العربية'],
	bg: ['Bulgarian', 'Български'],
	bn: ['Bengali', 'বাংলা'],
	ca: ['Catalan', 'Català'],
	cs: ['Czech', 'Čeština'],
	da: ['Danish', 'Dansk'],
	de: ['German', 'Deutsch'],
	el: ['Greek', 'Ελληνικά'],
	en: ['English', 'English'],
	eo: ['Esperanto', 'Esperanto'],
	es: ['Spanish', 'Español'],
	eu: ['Basque', 'Euskara'],
	fa: ['Persian', 'فارسی'],
	fi: ['Finnish', 'Suomi'],
	fr: ['French', 'Français'],
	gl: ['Galician', 'Galego'],
	he: ['Hebrew', 'עברית'],
	hu: ['Hungarian', 'Magyar'],
	id: ['Indonesian', 'Bahasa Indonesia'],
	it: ['Italian', 'Italiano'],
	ja: ['Japanese', '日本語'],
	ko: ['Korean', '한국어'],
	lt: ['Lithuanian', 'Lietuvių'],
	'nb-NO': ['Norwegian Bokmål', 'Norsk bokmål'],
	nl: ['Dutch', 'Nederlands'],
	pl: ['Polish', 'Polski'],
	'pt-BR': ['Portuguese (Brazil)', 'Português (Brasil)'],
	ro: ['Romanian', 'Română'],
	ru: ['Russian', 'Русский'],
	sk: ['Slovak', 'Slovenčina'],
	sv: ['Swedish', 'Svenska'],
	th: ['Thai', 'ไทย'],
	tr: ['Turkish', 'Türkçe'],
	'uk-UA': ['Ukrainian', 'Українська'],
	vi: ['Vietnamese', 'Tiếng Việt'],
	zh: ['Chinese', '中文']
} as const satisfies Record<string, readonly [string, string]>;

export type LanguageCode = keyof typeof LANGUAGES;

/** Every code, in order. */
export const LANGUAGE_CODES = Object.keys(LANGUAGES) as LanguageCode[];

/** The fallback when nothing else matches. */
export const DEFAULT_LANGUAGE: LanguageCode = 'en';

/** Whether `code` is one of ours, exactly as we spell it. */
export function isLanguageCode(code: string): code is LanguageCode {
	return Object.hasOwn(LANGUAGES, code);
}

/**
 * The best of our languages for a browser language tag (`navigator.language`): the same code
 * ignoring case (`pt-br` → `pt-BR`), else its primary subtag (`de-AT` → `de`), else the one of
 * ours with that primary subtag (`pt-PT` → `pt-BR`, `uk` → `uk-UA`, `nb` → `nb-NO`), else null.
 */
export function matchLanguage(tag: string | null | undefined): LanguageCode | null {
	if (!tag) return null;
	const lower = tag.trim().replace(/_/g, '-').toLowerCase();
	if (!lower) return null;
	const primary = lower.split('-')[0];
	let byPrimary: LanguageCode | null = null;
	for (const code of LANGUAGE_CODES) {
		const c = code.toLowerCase();
		if (c === lower) return code;
		if (c === primary) byPrimary = code;
		else if (byPrimary === null && c.split('-')[0] === primary) byPrimary = code;
	}
	return byPrimary;
}

/** The task language for a user: their setting, else the browser's, else English. */
export function taskLanguage(setting: string | null | undefined, browserTag: string | null | undefined): string {
	if (setting && isLanguageCode(setting)) return setting;
	return matchLanguage(browserTag) ?? DEFAULT_LANGUAGE;
}

/** "German (Deutsch)", or the code itself when unknown. */
export function languageName(code: string): string {
	if (!isLanguageCode(code)) return code;
	const [english, native] = LANGUAGES[code];
	return english === native ? english : `${english} (${native})`;
}
