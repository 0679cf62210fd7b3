import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseIcu, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { parse as parseSvelte } from 'svelte/compiler';
import { describe, expect, it } from 'vitest';
import { definedCatalogues, defineMessages, LOCALES, SOURCE_LOCALE } from './index';
import { matchLocale } from './locale';

// Every catalogue, so the checks below see them all.
import.meta.glob('./catalogue/*.ts', { eager: true });

/** Placeholder names and kinds used by a message (`{n, plural, …}` → "n:plural"). */
function placeholders(elements: MessageFormatElement[], out = new Set<string>()): Set<string> {
	for (const e of elements) {
		if (e.type === TYPE.argument) out.add(`${e.value}:argument`);
		else if (e.type === TYPE.number) out.add(`${e.value}:number`);
		else if (e.type === TYPE.date || e.type === TYPE.time) out.add(`${e.value}:date`);
		else if (e.type === TYPE.plural) {
			out.add(`${e.value}:plural`);
			for (const option of Object.values(e.options)) placeholders(option.value, out);
		} else if (e.type === TYPE.select) {
			out.add(`${e.value}:select`);
			for (const option of Object.values(e.options)) placeholders(option.value, out);
		} else if (e.type === TYPE.tag) placeholders(e.children, out);
	}
	return out;
}

const catalogues = definedCatalogues();

describe('message catalogues', () => {
	it('exist', () => {
		expect(catalogues.length).toBeGreaterThan(0);
	});

	for (const t of catalogues) {
		describe(t.namespace, () => {
			const source = t.catalogues[SOURCE_LOCALE];
			for (const locale of LOCALES) {
				it(`${locale}: every key, every message parses, same placeholders as English`, () => {
					const messages = t.catalogues[locale];
					expect(Object.keys(messages).sort()).toEqual(Object.keys(source).sort());
					for (const [key, text] of Object.entries(source)) {
						const translated = messages[key];
						expect(translated.trim(), `${t.namespace}.${key} (${locale}) is empty`).not.toBe('');
						const want = [...placeholders(parseIcu(text, { ignoreTag: true }))].sort();
						const got = [...placeholders(parseIcu(translated, { ignoreTag: true }))].sort();
						expect(got, `${t.namespace}.${key} (${locale})`).toEqual(want);
					}
				});
			}
		});
	}

	it('translations are translated: few messages identical to the English source', () => {
		// Words such as "Chat", "Status" or "Training" are the same in German; whole sentences are not.
		for (const locale of LOCALES.filter((l) => l !== SOURCE_LOCALE)) {
			const same: string[] = [];
			for (const t of catalogues) {
				for (const [key, text] of Object.entries(t.catalogues[SOURCE_LOCALE])) {
					if (t.catalogues[locale][key] === text && /\p{L}+\s+\p{L}+\s+\p{L}+/u.test(text)) same.push(`${t.namespace}.${key}: ${text}`);
				}
			}
			expect(same, `${locale} messages of three or more words left in English`).toEqual([]);
		}
	});

	it('formats plurals, selects and numbers per locale', () => {
		const t = defineMessages(
			'test-format',
			{ tasks: '{count, plural, one {# task} other {# tasks}} for {name}', big: '{n, number} tokens' },
			{ de: { tasks: '{count, plural, one {# Aufgabe} other {# Aufgaben}} für {name}', big: '{n, number} Tokens' } }
		);
		expect(t.in('en', 'tasks', { count: 1, name: 'Ann' })).toBe('1 task for Ann');
		expect(t.in('en', 'tasks', { count: 3, name: 'Ann' })).toBe('3 tasks for Ann');
		expect(t.in('de', 'tasks', { count: 1, name: 'Ann' })).toBe('1 Aufgabe für Ann');
		expect(t.in('de', 'tasks', { count: 3, name: 'Ann' })).toBe('3 Aufgaben für Ann');
		expect(t.in('en', 'big', { n: 1234567 })).toBe('1,234,567 tokens');
		expect(t.in('de', 'big', { n: 1234567 })).toBe('1.234.567 Tokens');
		expect(() => defineMessages('test-format', { a: 'a' }, { de: { a: 'a' } })).toThrow(/Two message catalogues/);
	});

	it('matches the browser languages to a locale', () => {
		expect(matchLocale(['de-AT', 'en'])).toBe('de');
		expect(matchLocale(['fr-FR', 'de'])).toBe('de');
		expect(matchLocale(['fr-FR', 'es'])).toBe('en');
		expect(matchLocale([])).toBe('en');
	});
});

// ---------------------------------------------------------------------------------------------

const WEB = new URL('../..', import.meta.url).pathname;
/** Attributes whose text people read or hear. */
const READ_ATTRIBUTES = new Set(['aria-label', 'aria-description', 'aria-placeholder', 'aria-roledescription', 'aria-valuetext', 'placeholder', 'title', 'alt', 'label']);
/** Elements whose content is code or markup, not interface text. */
const CODE_ELEMENTS = new Set(['code', 'pre', 'kbd', 'samp', 'style', 'script', 'svg', 'math']);
const WORDS = /\p{L}{2,}/u;

function svelteFiles(dir: string, out: string[] = []): string[] {
	for (const entry of readdirSync(dir, { withFileTypes: true })) {
		const path = join(dir, entry.name);
		if (entry.isDirectory()) svelteFiles(path, out);
		else if (entry.name.endsWith('.svelte')) out.push(path);
	}
	return out;
}

type Node = { type?: string; name?: string; attributes?: Node[]; value?: unknown; data?: string; [k: string]: unknown };

function isNoTranslate(node: Node): boolean {
	return (node.attributes ?? []).some((a) => a.type === 'Attribute' && a.name === 'translate' && Array.isArray(a.value) && (a.value as Node[]).some((v) => v.data === 'no'));
}

/** String literals an expression shows as text: the whole value, either branch of `?:`, the right of `||`/`??`, template parts. */
function shownStrings(expr: Node | undefined, out: string[]): void {
	if (!expr || typeof expr !== 'object') return;
	if (expr.type === 'Literal' && typeof expr.value === 'string') out.push(expr.value);
	else if (expr.type === 'ConditionalExpression') {
		shownStrings(expr.consequent as Node, out);
		shownStrings(expr.alternate as Node, out);
	} else if (expr.type === 'LogicalExpression') {
		shownStrings(expr.left as Node, out);
		shownStrings(expr.right as Node, out);
	} else if (expr.type === 'TemplateLiteral') {
		for (const q of expr.quasis as { value: { cooked: string } }[]) out.push(q.value.cooked);
	}
}

/** Interface text written into the markup instead of coming from a catalogue. */
function untranslated(source: string): string[] {
	const ast = parseSvelte(source, { modern: true });
	const found: string[] = [];
	const visit = (node: unknown): void => {
		if (Array.isArray(node)) return node.forEach(visit);
		if (!node || typeof node !== 'object') return;
		const n = node as Node;
		if ((n.type === 'RegularElement' || n.type === 'SvelteElement') && (CODE_ELEMENTS.has(n.name ?? '') || isNoTranslate(n))) return;
		if (n.type === 'Text') {
			if (WORDS.test(n.data ?? '')) found.push((n.data ?? '').trim());
			return;
		}
		if (n.type === 'Attribute') {
			if (!READ_ATTRIBUTES.has(n.name ?? '')) return;
			const parts = Array.isArray(n.value) ? (n.value as Node[]) : [n.value as Node];
			for (const part of parts) {
				if (part?.type === 'Text' && WORDS.test(part.data ?? '')) found.push(`${n.name}="${part.data}"`);
				if (part?.type === 'ExpressionTag') {
					const strings: string[] = [];
					shownStrings(part.expression as Node, strings);
					for (const s of strings) if (WORDS.test(s)) found.push(`${n.name}={'${s}'}`);
				}
			}
			return;
		}
		if (n.type === 'ExpressionTag') {
			const strings: string[] = [];
			shownStrings(n.expression as Node, strings);
			for (const s of strings) if (/\p{Lu}\p{Ll}+|\p{L}+\s+\p{L}+/u.test(s)) found.push(`{'${s}'}`);
			return;
		}
		for (const [key, value] of Object.entries(n)) {
			if (key === 'expression' || key === 'metadata' || key === 'loc' || key === 'name_loc') continue;
			if (value && typeof value === 'object') visit(value);
		}
	};
	visit(ast.fragment);
	return found;
}

describe('interface text comes from the catalogues', () => {
	it('the scanner finds text, read attributes and shown literals, and skips code and translate="no"', () => {
		expect(
			untranslated(`<p title="Hi there">Hello {x} <code>a b</code><span translate="no">Oasis</span>{ok ? 'Saved' : ''}<input placeholder={'Your name'} class="big" /></p>`)
		).toEqual(['title="Hi there"', 'Hello', "{'Saved'}", "placeholder={'Your name'}"]);
		expect(untranslated(`<p>{t('hello')} — {count}</p><a class="x" href="/a">{t('a')}</a>`)).toEqual([]);
	});

	for (const file of svelteFiles(WEB)) {
		it(relative(WEB, file), () => {
			expect(untranslated(readFileSync(file, 'utf8'))).toEqual([]);
		});
	}
});
