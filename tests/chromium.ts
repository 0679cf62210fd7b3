/**
 * How every browser test launches Chromium: Debian's package (test tools' own browser downloads
 * are impossible here), with WebGPU on and the background network traffic a closed machine refuses
 * turned off. Shared by Playwright (e2e) and Vitest's browser mode (kernels-browser).
 */
export const chromiumLaunchOptions = {
	executablePath: '/usr/bin/chromium',
	args: [
		'--no-sandbox',
		'--enable-unsafe-webgpu',
		'--disable-quic',
		'--no-first-run',
		'--disable-background-networking',
		'--disable-component-update',
		'--disable-sync',
		'--disable-dev-shm-usage'
	]
};
