/** Draft autosave for task components: plain data only (`$state.snapshot`) goes to IndexedDB. */
import { oasisDb, type Draft } from '$lib/offline/db';

export function loadDraft(taskId: string): Promise<Draft | undefined> {
	return oasisDb().drafts.get(taskId);
}

const timers = new Map<string, ReturnType<typeof setTimeout>>();

/** Save soon (coalescing keystrokes); `saveDraftNow` for a final save. */
export function saveDraft(draft: Omit<Draft, 'updatedAt'>, delayMs = 250): void {
	clearTimeout(timers.get(draft.taskId));
	timers.set(
		draft.taskId,
		setTimeout(() => void saveDraftNow(draft), delayMs)
	);
}

export async function saveDraftNow(draft: Omit<Draft, 'updatedAt'>): Promise<void> {
	clearTimeout(timers.get(draft.taskId));
	timers.delete(draft.taskId);
	await oasisDb().drafts.put({ ...draft, updatedAt: Date.now() });
}
