import { TASK_KINDS } from '$lib/api/types';
import type { EntryGenerator } from './$types';

// One prerendered shell per task kind, so each is precached and opens offline.
export const prerender = true;
export const entries: EntryGenerator = () => TASK_KINDS.map((kind) => ({ kind }));
