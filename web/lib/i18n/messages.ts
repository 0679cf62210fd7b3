/**
 * Message catalogues. Each area of the app defines its own catalogue (web/lib/i18n/catalogue/*.ts)
 * with the English source messages and a translation for every other locale; the types make a
 * missing or misspelt key in a translation a compile error, and i18n.test.ts checks that every
 * message parses and uses the same placeholders as its English source.
 *
 * Messages are ICU MessageFormat (FormatJS `intl-messageformat`): `{name}` placeholders,
 * `{count, plural, one {# task} other {# tasks}}`, `{kind, select, …}`, `{n, number}`. A catalogue
 * is imported only by the pages that use it, so each page's bundle carries just its own messages.
 *
 *   const t = defineMessages('dashboard', { title: 'Dashboard', open: '{count, plural, one {# open task} other {# open tasks}}' },
 *     { de: { title: 'Übersicht', open: '{count, plural, one {# offene Aufgabe} other {# offene Aufgaben}}' } });
 *   t('open', { count: 3 })
 */
import { IntlMessageFormat, type PrimitiveType } from 'intl-messageformat';
import { getLocale, LOCALES, SOURCE_LOCALE, type Locale } from './locale';

export type MessageValues = Record<string, PrimitiveType>;
type Translations<K extends string> = { [L in Exclude<Locale, typeof SOURCE_LOCALE>]: { [Key in K]: string } };

/** Looks a message up in the current locale and formats it with `values`. */
export interface Translator<K extends string> {
	(key: K, values?: MessageValues): string;
	/** The catalogue's name (for errors and the completeness test). */
	readonly namespace: string;
	/** Every locale's messages, source first. */
	readonly catalogues: Readonly<Record<Locale, Readonly<Record<K, string>>>>;
	/** `key` in `locale` (not the current one). */
	in(locale: Locale, key: K, values?: MessageValues): string;
}

const registry = new Map<string, Translator<string>>();

/** Every catalogue defined so far (the completeness test imports them all first). */
export function definedCatalogues(): Translator<string>[] {
	return [...registry.values()];
}

/**
 * Defines a catalogue. `source` holds the English messages; `translations` one object per other
 * locale with exactly the same keys.
 */
export function defineMessages<const S extends Record<string, string>>(
	namespace: string,
	source: S,
	translations: Translations<Extract<keyof S, string>>
): Translator<Extract<keyof S, string>> {
	type K = Extract<keyof S, string>;
	const catalogues = { [SOURCE_LOCALE]: source, ...translations } as Record<Locale, Record<K, string>>;
	const cache = new Map<string, IntlMessageFormat>();

	const format = (locale: Locale, key: K, values?: MessageValues): string => {
		const text = catalogues[locale]?.[key] ?? source[key];
		if (text === undefined) throw new Error(`No message "${key}" in the "${namespace}" catalogue.`);
		const id = `${locale}\u0000${key}`;
		let compiled = cache.get(id);
		if (!compiled) {
			compiled = new IntlMessageFormat(text, locale, undefined, { ignoreTag: true });
			cache.set(id, compiled);
		}
		const out = compiled.format(values);
		return Array.isArray(out) ? out.join('') : String(out);
	};

	const t = ((key: K, values?: MessageValues) => format(getLocale(), key, values)) as Translator<K>;
	Object.defineProperties(t, {
		namespace: { value: namespace },
		catalogues: { value: catalogues },
		in: { value: (locale: Locale, key: K, values?: MessageValues) => format(locale, key, values) }
	});
	if (registry.has(namespace)) throw new Error(`Two message catalogues are named "${namespace}".`);
	registry.set(namespace, t as unknown as Translator<string>);
	return t;
}

/** Locale-aware number formatting (1,234.5 / 1.234,5). */
export function formatNumber(value: number, options?: Intl.NumberFormatOptions): string {
	return new Intl.NumberFormat(getLocale(), options).format(value);
}

/** Locale-aware date and time formatting (default: medium date, short time). */
export function formatDate(value: Date | number | string, options: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' }): string {
	return new Intl.DateTimeFormat(getLocale(), options).format(new Date(value));
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
	['year', 365 * 24 * 3600],
	['month', 30 * 24 * 3600],
	['week', 7 * 24 * 3600],
	['day', 24 * 3600],
	['hour', 3600],
	['minute', 60],
	['second', 1]
];

/** "3 minutes ago" / "vor 3 Minuten", relative to `now`. */
export function formatRelative(value: Date | number | string, now: number = Date.now()): string {
	const seconds = Math.round((new Date(value).getTime() - now) / 1000);
	const rtf = new Intl.RelativeTimeFormat(getLocale(), { numeric: 'auto' });
	for (const [unit, size] of UNITS) {
		if (Math.abs(seconds) >= size || unit === 'second') return rtf.format(Math.round(seconds / size), unit);
	}
	return rtf.format(0, 'second');
}

/** "a, b and c" / "a, b und c". */
export function formatList(items: string[], type: Intl.ListFormatType = 'conjunction'): string {
	return new Intl.ListFormat(getLocale(), { style: 'long', type }).format(items);
}

export { LOCALES };
