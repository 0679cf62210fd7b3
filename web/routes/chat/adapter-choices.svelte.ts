/**
 * What the chat's two adapter pickers — chat adapters (AdapterPicker) and reward models
 * (RewardPicker) — share: their options (the adapters saved in this device's model store, offline
 * too, and the finished jobs' adapters the server offers over models our own engine runs) and
 * the download of a chosen one into the store (its two PEFT files, SHA-256 checked) with its
 * progress, outcome and error.
 */
import { api } from '$lib/api/client';
import { adapterEntry, isRewardEntry, saveAdapter, storedAdapters, type AdapterEntry } from '$lib/engine/adapters';
import { fullCatalogue, type ModelEntry } from '$lib/engine/catalogue';
import { openOpfsStore } from '$lib/engine/download';

/** Which adapters a picker offers: reward models, or chat adapters (everything else). */
export type AdapterKind = 'reward' | 'chat';

/** A picker's words for a download that did not save the adapter (from its own catalogue). */
export interface SaveWords {
	noStore: string;
	otherTab: string;
	failed: (message: string) => string;
}

/** Base models an adapter can be offered over: our own engine's, not adapters themselves. */
export function adapterBases(): ModelEntry[] {
	return fullCatalogue().filter((m) => m.engine === 'oasis' && !m.adapter);
}

/** The name of `e`'s base model for people (its id when the catalogue does not have it). */
export function baseName(e: AdapterEntry, bases: readonly ModelEntry[] = adapterBases()): string {
	return bases.find((b) => b.id === e.adapter.baseModel)?.name ?? e.adapter.baseModel;
}

/** One picker's options and download state (reactive). */
export class AdapterChoices {
	/** Saved on this device (they work offline). */
	saved = $state<AdapterEntry[]>([]);
	/** Offered by the server. */
	offered = $state<AdapterEntry[]>([]);
	/** The server could not be asked (offline, or none): only the saved ones are offered. */
	unreachable = $state(false);
	/** The download's fraction done, or null when none is running. */
	progress = $state<number | null>(null);
	error = $state<string | null>(null);
	/** The last choice was downloaded and saved just now. */
	justSaved = $state(false);
	/** The server's offers not saved here yet. */
	fromServer = $derived(this.offered.filter((e) => !this.saved.some((s) => s.id === e.id)));

	/** The base models its adapters may be over (read once). */
	readonly bases: ModelEntry[] = adapterBases();

	constructor(readonly kind: AdapterKind) {}

	private ofKind = (e: AdapterEntry): boolean => (this.kind === 'reward' ? isRewardEntry(e) : !isRewardEntry(e));

	/** Reads the saved adapters of this kind from the model store, then asks the server for its own. */
	async load(): Promise<void> {
		const store = await openOpfsStore();
		if (store) this.saved = (await storedAdapters(store).catch(() => [])).filter(this.ofKind);
		try {
			const list = (await api.training.adapters.query({})).filter((a) => (a.objective === 'reward') === (this.kind === 'reward'));
			this.offered = list.flatMap((a) => {
				const base = this.bases.find((b) => b.id === a.baseModel);
				return base ? [adapterEntry(base, a)] : [];
			});
		} catch {
			this.unreachable = true;
		}
	}

	/** A new choice: clears the last one's outcome. */
	reset(): void {
		this.error = null;
		this.justSaved = false;
	}

	/** Downloads `entry` into the model store; true once it is saved, else false with `error` set in `words`. */
	async save(entry: AdapterEntry, words: SaveWords): Promise<boolean> {
		try {
			const r = await saveAdapter($state.snapshot(entry) as AdapterEntry, (f) => (this.progress = f));
			if ('refused' in r) {
				this.error = r.refused === 'no-store' ? words.noStore : words.otherTab;
				return false;
			}
			this.saved = r.stored.filter(this.ofKind);
			this.justSaved = true;
			return true;
		} catch (e) {
			this.error = words.failed((e as Error).message);
			return false;
		} finally {
			this.progress = null;
		}
	}
}
