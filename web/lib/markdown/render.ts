/**
 * Markdown to safe HTML: marked (GFM), KaTeX for `$…$` / `$$…$$` math, highlight.js for fenced
 * code, and DOMPurify over the result. Loaded lazily by Markdown.svelte, so task pages start
 * without it; the service worker precaches it like every other chunk.
 */
import { Marked } from 'marked';
import markedKatex from 'marked-katex-extension';
import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import css from 'highlight.js/lib/languages/css';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import 'katex/dist/katex.min.css';
import 'highlight.js/styles/a11y-light.css';

const LANGUAGES = { bash, c, cpp, css, go, java, javascript, json, python, rust, sql, typescript, xml, yaml };
for (const [name, lang] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, lang);
hljs.registerAliases(['sh', 'shell', 'zsh'], { languageName: 'bash' });
hljs.registerAliases(['js', 'jsx'], { languageName: 'javascript' });
hljs.registerAliases(['ts', 'tsx'], { languageName: 'typescript' });
hljs.registerAliases(['py'], { languageName: 'python' });
hljs.registerAliases(['html', 'svg'], { languageName: 'xml' });
hljs.registerAliases(['yml'], { languageName: 'yaml' });

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

const marked = new Marked(markedKatex({ throwOnError: false, nonStandard: true, output: 'htmlAndMathml' }), {
	gfm: true,
	breaks: true,
	renderer: {
		code({ text, lang }) {
			const language = (lang ?? '').trim().split(/\s+/)[0];
			const html = language && hljs.getLanguage(language) ? hljs.highlight(text, { language, ignoreIllegals: true }).value : escapeHtml(text);
			const cls = language ? ` class="hljs language-${escapeHtml(language)}"` : ' class="hljs"';
			return `<pre><code${cls}>${html}</code></pre>\n`;
		}
	}
});

let hooked = false;
function purifier() {
	if (!hooked && typeof window !== 'undefined') {
		// Links in user text open elsewhere and pass no referrer or ranking credit.
		DOMPurify.addHook('afterSanitizeAttributes', (node) => {
			if (node.tagName === 'A' && node.hasAttribute('href')) {
				node.setAttribute('target', '_blank');
				node.setAttribute('rel', 'noopener noreferrer nofollow ugc');
			}
		});
		hooked = true;
	}
	return DOMPurify;
}

/** Render user markdown to sanitised HTML. */
export function renderMarkdown(source: string): string {
	const html = marked.parse(source, { async: false });
	return purifier().sanitize(html, { USE_PROFILES: { html: true, mathMl: true, svg: true }, FORBID_TAGS: ['style', 'form', 'input', 'button'] });
}
