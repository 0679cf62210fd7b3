/** Node only: a {@link ModelSource} over a folder (or one .gguf file) on disk, read by range. */
import { open, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ModelError } from './errors.js';
import type { ModelSource } from './source.js';

/** A folder of model files. */
export function folderSource(dir: string): ModelSource {
	const path = (name: string) => join(dir, name);
	const statOf = async (name: string) => {
		try {
			return await stat(path(name));
		} catch {
			throw new ModelError('missing-file', `${path(name)}: file not found`);
		}
	};
	return {
		label: dir,
		async has(name) {
			try {
				return (await stat(path(name))).isFile();
			} catch {
				return false;
			}
		},
		size: async (name) => (await statOf(name)).size,
		async readRange(name, start, end) {
			const out = new Uint8Array(end - start);
			if (out.length === 0) return out;
			const fh = await open(path(name), 'r').catch(() => {
				throw new ModelError('missing-file', `${path(name)}: file not found`);
			});
			try {
				let done = 0;
				while (done < out.length) {
					const { bytesRead } = await fh.read(out, done, out.length - done, start + done);
					if (bytesRead === 0) {
						throw new ModelError('truncated', `${path(name)}: file ends at byte ${start + done}, expected data up to byte ${end}`);
					}
					done += bytesRead;
				}
				return out;
			} finally {
				await fh.close();
			}
		},
		async readJson(name) {
			let text: string;
			try {
				text = await readFile(path(name), 'utf8');
			} catch {
				throw new ModelError('missing-file', `${path(name)}: file not found`);
			}
			try {
				return JSON.parse(text);
			} catch (e) {
				throw new ModelError('bad-format', `${path(name)}: not valid JSON (${(e as Error).message})`);
			}
		},
		async fingerprint(name) {
			const s = await statOf(name);
			return `${s.size}:${s.mtimeMs}`;
		}
	};
}

/** A model folder, or a single .gguf file (its folder as the source, its name as the entry). */
export async function openModelPath(p: string): Promise<{ source: ModelSource; gguf: string | null }> {
	let s;
	try {
		s = await stat(p);
	} catch {
		throw new ModelError('missing-file', `${p}: no such model folder or .gguf file`);
	}
	if (s.isDirectory()) return { source: folderSource(p), gguf: null };
	if (p.toLowerCase().endsWith('.gguf')) return { source: folderSource(dirname(p)), gguf: basename(p) };
	throw new ModelError('bad-format', `${p}: expected a model folder (config.json, *.safetensors, tokenizer.json) or a .gguf file`);
}
