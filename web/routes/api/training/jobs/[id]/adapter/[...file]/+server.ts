import type { RequestHandler } from './$types';
import { createRequestContext } from '../../../../../../../../server/http';
import { TrainingManager } from '../../../../../../../../server/training/manager';
import { adapterFileResponse } from '../../../../../../../../server/training/peft';
import { trainingRuntime } from '../../../../../../../../server/training/runtime';

export const prerender = false;

/**
 * A LoRA job's adapter in PEFT form (server/training/peft.ts): adapter_model.safetensors or
 * adapter_config.json, of the newest version, `?version=n`, or under `v{n}/`. Public, like the
 * job's metrics. `npm start`'s fast handler (server/serve.ts) takes only /api/trpc, so this
 * route answers under both servers.
 */
const handler: RequestHandler = async ({ request, params }) => {
	const ctx = await createRequestContext(request, new Headers());
	const manager = new TrainingManager({ db: ctx.db, dialect: ctx.dialect, now: ctx.now, random: ctx.random, limiter: ctx.limiter }, trainingRuntime());
	return adapterFileResponse(manager, request, params.id, params.file);
};

export const GET = handler;
export const HEAD = handler;
