import { parseArgs } from 'node:util';
import { type CliCommand, emit, info } from '../command.js';

export const gpuCommand: CliCommand = {
	name: 'gpu',
	summary: 'show the WebGPU adapter the kernels run on (features and limits)',
	help: `Usage: oasis gpu

Finds a WebGPU adapter through Dawn (npm "webgpu"): a real GPU where there is one, otherwise the
Mesa lavapipe software adapter that "npm test" (or "npm run setup") installs. Prints
{"adapter": {"vendor", "architecture", "isCpu"}, "features": [...], "limits": {...}}.`,
	async run(args) {
		parseArgs({ args, options: {}, strict: true });
		const { createNodeContext } = await import('../../../kernels/gpu/node.js');
		const ctx = await createNodeContext();
		try {
			info(`Adapter: ${ctx.info.vendor} ${ctx.info.architecture}${ctx.info.isCpu ? ' (software)' : ''}`);
			emit({
				adapter: { vendor: ctx.info.vendor, architecture: ctx.info.architecture, device: ctx.info.device, isCpu: ctx.info.isCpu },
				features: ctx.featureList(),
				limits: ctx.limits
			});
			return 0;
		} finally {
			ctx.destroy();
		}
	}
};
