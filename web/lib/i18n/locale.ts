/**
 * The interface language of this browser: English and German, chosen by the user (remembered on
 * the device) or else taken from the browser's preferred languages. Reactive without runes: the
 * getter registers with Svelte's `createSubscriber`, so any template or `$derived` that reads the
 * locale — directly or through a message function — updates when it changes.
 *
 * The interface language is separate from the task language (the account's `language`, which
 * picks the conversations a volunteer works on, see $lib/api/language.ts): a German speaker may
 * well label English conversations.
 */
import { createSubscriber } from 'svelte/reactivity';

/** Interface languages with a complete catalogue. The first is the source language. */
export const LOCALES = ['en', 'de'] as const;
export type Locale = (typeof LOCALES)[number];
export const SOURCE_LOCALE: Locale = 'en';

/** Each locale's name in its own language (for the picker). */
export const LOCALE_NAMES: Record<Locale, string> = { en: 'English', de: 'Deutsch' };

const STORAGE_KEY = 'oasis.locale';

export function isLocale(value: unknown): value is Locale {
	return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** The first of `preferred` (BCP 47 tags, best first) whose primary subtag has a catalogue. */
export function matchLocale(preferred: readonly string[]): Locale {
	for (const tag of preferred) {
		const primary = tag.toLowerCase().split('-')[0];
		if (isLocale(primary)) return primary;
	}
	return SOURCE_LOCALE;
}

let current: Locale = initialLocale();
const listeners = new Set<() => void>();
const track = createSubscriber((update) => {
	listeners.add(update);
	return () => listeners.delete(update);
});

function initialLocale(): Locale {
	if (typeof localStorage !== 'undefined') {
		try {
			const saved = localStorage.getItem(STORAGE_KEY);
			if (isLocale(saved)) return saved;
		} catch {
			// Storage can be blocked; fall back to the browser's languages.
		}
	}
	if (typeof navigator !== 'undefined') return matchLocale(navigator.languages?.length ? navigator.languages : [navigator.language]);
	return SOURCE_LOCALE;
}

/** The interface language now (reactive in templates and effects). */
export function getLocale(): Locale {
	track();
	return current;
}

/** Whether the user picked the language themselves (else it follows the browser). */
export function localeChosen(): boolean {
	try {
		return typeof localStorage !== 'undefined' && isLocale(localStorage.getItem(STORAGE_KEY));
	} catch {
		return false;
	}
}

/** Switches the interface language, remembers the choice on this device and sets `<html lang>`. */
export function setLocale(locale: Locale, remember = true): void {
	if (!isLocale(locale)) throw new Error(`Unknown interface language "${String(locale)}": use one of ${LOCALES.join(', ')}.`);
	if (remember && typeof localStorage !== 'undefined') {
		try {
			localStorage.setItem(STORAGE_KEY, locale);
		} catch {
			// Not remembered, but still switched for this page.
		}
	}
	applyDocumentLanguage(locale);
	if (locale === current) return;
	current = locale;
	for (const update of listeners) update();
}

/** Sets `<html lang>` to `locale` (screen readers and hyphenation follow it). */
export function applyDocumentLanguage(locale: Locale = current): void {
	if (typeof document !== 'undefined') document.documentElement.lang = locale;
}
