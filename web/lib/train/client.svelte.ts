/**
 * The page's side of the browser worker: starts train.worker.ts, keeps what it reports as
 * reactive state (phase, tokens/s, rounds, accepted and rejected updates, problems in words), and
 * pauses it while the tab is hidden or the battery is low (under 20 % and not charging, where the
 * Battery Status API exists), resuming when both clear. Its sentences are worded in the interface
 * language when they are made; the worker's own stops arrive as catalogue keys (see protocol.ts).
 */
import { formatNumber, getLocale, SOURCE_LOCALE, type MessageValues } from '../i18n';
import { t } from '../i18n/catalogue/training';
import type { Command, TrainEvent, TrainText } from './protocol';
import { spawnTrainWorker } from './spawn';

/** Battery level under which (not charging) training pauses. */
export const LOW_BATTERY = 0.2;
const WORKER_ID_KEY = 'oasis.train.workerId';

interface BatteryLike extends EventTarget {
	level: number;
	charging: boolean;
}

/** What the worker is doing. */
export type Phase = 'idle' | 'leasing' | 'training' | 'waiting' | 'paused';

function capitalize(text: string): string {
	return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A stop the worker reported, in the interface language (its English where it has no key). */
function fatalText(message: string, text: TrainText | undefined): string {
	if (text && text.key in t.catalogues[SOURCE_LOCALE]) return t(text.key as Parameters<typeof t>[0], text.values as MessageValues | undefined);
	return getLocale() === SOURCE_LOCALE ? message : t('fatalOther', { detail: message });
}

export interface UnitResult {
	jobId: string;
	round: number;
	status: 'accepted' | 'rejected';
	reason: string | null;
	detail: string | null;
	tokens: number;
	/** Null when the clock could not time it (a unit faster than its resolution). */
	tokensPerSecond: number | null;
	trainLoss: number;
	/** Reward and DPO jobs: the share of training pairs the worker ranked right (null for SFT). */
	trainAccuracy: number | null;
	/** Encoded update bytes sent. */
	bytes: number;
}

/** This browser's worker id (stable across visits, so the server sees one worker). */
export function browserWorkerId(): string {
	let id = localStorage.getItem(WORKER_ID_KEY);
	if (!id || !/^[A-Za-z0-9._-]{1,100}$/.test(id)) {
		id = `browser-${crypto.randomUUID()}`;
		localStorage.setItem(WORKER_ID_KEY, id);
	}
	return id;
}

export class TrainingContributor {
	running = $state(false);
	phase = $state<Phase>('idle');
	detail = $state('');
	step = $state<{ step: number; steps: number } | null>(null);
	results = $state<UnitResult[]>([]);
	problem = $state<string | null>(null);
	/** Why the worker is paused, as clauses for "Paused because …" (empty: not paused). */
	pausedFor = $state<string[]>([]);
	hidden = $state(false);
	lowBattery = $state(false);

	accepted = $derived(this.results.filter((r) => r.status === 'accepted').length);
	rejected = $derived(this.results.filter((r) => r.status === 'rejected').length);
	acceptedTokens = $derived(this.results.reduce((a, r) => a + (r.status === 'accepted' ? r.tokens : 0), 0));
	rounds = $derived(this.results.map((r) => `${r.jobId}:${r.round}`).filter((key, i, all) => all.indexOf(key) === i).length);
	/** Tokens per second of the latest unit's training. */
	tokensPerSecond = $derived(this.results.length ? this.results[this.results.length - 1]!.tokensPerSecond : null);

	private worker: Worker | null = null;
	private cleanup: (() => void)[] = [];

	/** Start watching visibility and the battery (call once the page is mounted). */
	async watch(): Promise<void> {
		const onVisibility = () => {
			this.hidden = document.visibilityState === 'hidden';
			this.sync();
		};
		document.addEventListener('visibilitychange', onVisibility);
		this.cleanup.push(() => document.removeEventListener('visibilitychange', onVisibility));
		onVisibility();
		const nav = navigator as Navigator & { getBattery?: () => Promise<BatteryLike> };
		if (typeof nav.getBattery === 'function') {
			try {
				const battery = await nav.getBattery();
				const onBattery = () => {
					this.lowBattery = battery.level < LOW_BATTERY && !battery.charging;
					this.sync();
				};
				battery.addEventListener('levelchange', onBattery);
				battery.addEventListener('chargingchange', onBattery);
				this.cleanup.push(() => {
					battery.removeEventListener('levelchange', onBattery);
					battery.removeEventListener('chargingchange', onBattery);
				});
				onBattery();
			} catch {
				// Not allowed here (a permissions policy): no battery rule.
			}
		}
	}

	private send(command: Command) {
		this.worker?.postMessage(command);
	}

	/** Why the worker should be paused now (none: it may run). */
	private pauseReasons(): string[] {
		const reasons: string[] = [];
		if (this.hidden) reasons.push(t('pauseHidden'));
		if (this.lowBattery) reasons.push(t('pauseBattery', { percent: LOW_BATTERY * 100 }));
		return reasons;
	}

	/** Pause or resume the worker to match the tab's visibility and the battery. */
	private sync() {
		const reasons = this.pauseReasons();
		this.pausedFor = reasons;
		if (!this.running) return;
		this.send({ type: reasons.length ? 'pause' : 'resume' });
		if (reasons.length) this.phase = 'paused';
		else if (this.phase === 'paused') this.phase = 'leasing';
	}

	start(jobId?: string): void {
		if (this.running) return;
		this.problem = null;
		this.worker ??= this.spawn();
		this.running = true;
		this.phase = 'leasing';
		this.send({ type: 'start', workerId: browserWorkerId(), paused: this.pauseReasons().length > 0, ...(jobId ? { jobId } : {}) });
		this.sync();
	}

	stop(): void {
		this.send({ type: 'stop' });
	}

	private spawn(): Worker {
		const worker = spawnTrainWorker();
		worker.onmessage = (e: MessageEvent<TrainEvent>) => this.handle(e.data);
		worker.onerror = (e) => {
			this.problem = t('workerFailed', { error: e.message || t('unknownError') });
			this.running = false;
			this.phase = 'idle';
		};
		return worker;
	}

	private handle(event: TrainEvent) {
		switch (event.event) {
			case 'lease':
				this.phase = 'training';
				this.problem = null;
				this.step = null;
				this.detail = t('leaseDetail', { round: event.round + 1, steps: event.steps, tokens: formatNumber(event.tokens) });
				break;
			case 'step':
				this.step = { step: event.step, steps: event.of };
				break;
			case 'submitted':
				this.phase = 'leasing';
				this.detail = '';
				this.results.push({
					jobId: event.jobId,
					round: event.round,
					status: event.status,
					reason: event.reason,
					detail: event.detail,
					tokens: event.tokens,
					tokensPerSecond: event.seconds > 0 ? event.tokens / event.seconds : null,
					trainLoss: event.trainLoss,
					trainAccuracy: event.trainAccuracy ?? null,
					bytes: event.bytes
				});
				break;
			case 'waiting':
				this.phase = 'waiting';
			{
				const seconds = Math.round(event.retryInSeconds);
				this.detail = event.reason === 'error' ? '' : event.reason === 'no_work' ? t('waitNoWork', { seconds }) : t('waitPaused', { detail: capitalize(event.message), seconds });
				this.problem = event.reason === 'error' ? t('waitError', { detail: capitalize(event.message), seconds }) : null;
			}
				break;
			case 'lease_lost':
				this.detail = t('leaseLost');
				break;
			case 'job_over':
				this.detail = event.state === 'finished' ? t('jobFinished') : t('jobStopped', { state: event.state });
				break;
			case 'paused':
				this.phase = 'paused';
				break;
			case 'fatal':
				this.problem = fatalText(event.message, event.text);
				break;
			case 'stopped':
				break;
			case 'ended':
				this.running = false;
				this.phase = 'idle';
				this.step = null;
				break;
		}
	}

	/** Stop training and release the worker and listeners. */
	dispose(): void {
		this.stop();
		this.worker?.terminate();
		this.worker = null;
		this.running = false;
		for (const c of this.cleanup.splice(0)) c();
	}
}
