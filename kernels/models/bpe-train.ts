/**
 * A small deterministic byte-level BPE *trainer* (GPT-2 style), used only to build the bundled
 * tiny model's tokenizer.json. Tokenizing at run time is Tokenizers.js's job, not this file's.
 */

/** GPT-2's pre-tokenizer regex, the one Tokenizers.js applies for ByteLevel(use_regex: true). */
export const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's reversible byte → printable character map. */
export function bytesToUnicode(): string[] {
	const bs: number[] = [];
	for (let b = 33; b <= 126; b++) bs.push(b);
	for (let b = 161; b <= 172; b++) bs.push(b);
	for (let b = 174; b <= 255; b++) bs.push(b);
	const cs = [...bs];
	let n = 0;
	for (let b = 0; b < 256; b++) {
		if (!bs.includes(b)) {
			bs.push(b);
			cs.push(256 + n++);
		}
	}
	const out: string[] = new Array(256);
	bs.forEach((b, i) => (out[b] = String.fromCodePoint(cs[i])));
	return out;
}

/** Learns `numMerges` merges from `texts`; ties break on the pair's text, so runs repeat exactly. */
export function trainByteLevelBpe(texts: string[], numMerges: number): { alphabet: string[]; merges: [string, string][] } {
	const b2u = bytesToUnicode();
	const enc = new TextEncoder();
	const counts = new Map<string, number>();
	for (const t of texts) {
		for (const m of t.matchAll(GPT2_SPLIT)) {
			const w = Array.from(enc.encode(m[0]), (b) => b2u[b]).join('\u0000');
			counts.set(w, (counts.get(w) ?? 0) + 1);
		}
	}
	const words = [...counts].map(([w, c]) => ({ syms: w.split('\u0000'), c }));
	const merges: [string, string][] = [];
	for (let step = 0; step < numMerges; step++) {
		const pairs = new Map<string, number>();
		for (const { syms, c } of words) {
			for (let i = 0; i + 1 < syms.length; i++) {
				const k = syms[i] + '\u0000' + syms[i + 1];
				pairs.set(k, (pairs.get(k) ?? 0) + c);
			}
		}
		let best: string | null = null;
		let bestN = 1;
		for (const [k, n] of pairs) if (n > bestN || (n === bestN && best !== null && k < best)) [best, bestN] = [k, n];
		if (best === null) break;
		const [a, b] = best.split('\u0000');
		merges.push([a, b]);
		for (const w of words) {
			const s = w.syms;
			const out: string[] = [];
			for (let i = 0; i < s.length; i++) {
				if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
					out.push(a + b);
					i++;
				} else out.push(s[i]);
			}
			w.syms = out;
		}
	}
	return { alphabet: [...b2u].sort(), merges };
}
