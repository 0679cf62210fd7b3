/**
 * Interface languages: the locale (locale.ts) and the message catalogues (messages.ts; one per
 * area of the app under ./catalogue/). See ARCHITECTURE.md "Languages".
 */
export { LOCALES, LOCALE_NAMES, SOURCE_LOCALE, applyDocumentLanguage, getLocale, isLocale, localeChosen, matchLocale, setLocale, type Locale } from './locale';
export { defineMessages, definedCatalogues, formatDate, formatList, formatNumber, formatRelative, type MessageValues, type Translator } from './messages';
