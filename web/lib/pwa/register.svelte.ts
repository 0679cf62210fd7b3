/**
 * Service-worker registration through workbox-window. The first install takes control at once
 * (clientsClaim); later versions wait until the user accepts the "new version" prompt.
 */
import { Workbox } from 'workbox-window';

class PwaState {
	/** A new version is installed and waiting for the user's go-ahead. */
	updateReady = $state(false);
	/** The page is controlled by our service worker (works offline). */
	controlled = $state(false);
	#wb: Workbox | undefined;
	#reloadOnControl = false;

	register(): void {
		if (typeof navigator === 'undefined' || !('serviceWorker' in navigator) || import.meta.env.DEV) return;
		const wb = new Workbox('/sw.js', { scope: '/' });
		this.#wb = wb;
		this.controlled = !!navigator.serviceWorker.controller;
		wb.addEventListener('waiting', () => (this.updateReady = true));
		navigator.serviceWorker.addEventListener('controllerchange', () => {
			this.controlled = true;
			// Only an update the user accepted reloads (not the first install's clientsClaim).
			if (this.#reloadOnControl) window.location.reload();
		});
		wb.register().catch((error: unknown) => console.warn('Service worker registration failed:', error));
	}

	/** Activate the waiting version; the page reloads when it takes control. */
	applyUpdate(): void {
		this.#reloadOnControl = true;
		this.updateReady = false;
		this.#wb?.messageSkipWaiting();
	}
}

export const pwa = new PwaState();
