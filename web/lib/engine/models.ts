/** Models our own engine (the project's kernels) can load: the catalogue's `oasis` entries. */
import { CATALOGUE, DEFAULT_MODEL, type ModelEntry } from './catalogue';

export type OasisModelEntry = ModelEntry & { engine: 'oasis'; url: string };

export const OASIS_MODELS: readonly OasisModelEntry[] = CATALOGUE.filter((m): m is OasisModelEntry => m.engine === 'oasis' && typeof m.url === 'string');

export { DEFAULT_MODEL };
