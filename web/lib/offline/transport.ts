/** What the offline store needs from the server: an interface, so tests can stand in for it. */
import { api } from '../api/client';
import type { ApiInputs, Availability, TaskOut, TaskRequestType } from '../api/types';

export interface Transport {
	request(input: { type: TaskRequestType; lang: string }): Promise<TaskOut>;
	availability(lang: string): Promise<Availability>;
	ack(input: ApiInputs['tasks']['ack']): Promise<unknown>;
	nack(input: ApiInputs['tasks']['nack']): Promise<unknown>;
	submitReply(input: ApiInputs['tasks']['submitReply']): Promise<unknown>;
	submitRanking(input: ApiInputs['tasks']['submitRanking']): Promise<unknown>;
	submitLabels(input: ApiInputs['tasks']['submitLabels']): Promise<unknown>;
}

/** The real server, through tRPC. */
export const apiTransport: Transport = {
	request: (input) => api.tasks.request.mutate(input),
	availability: (lang) => api.tasks.availability.query({ lang }),
	ack: (input) => api.tasks.ack.mutate(input),
	nack: (input) => api.tasks.nack.mutate(input),
	submitReply: (input) => api.tasks.submitReply.mutate(input),
	submitRanking: (input) => api.tasks.submitRanking.mutate(input),
	submitLabels: (input) => api.tasks.submitLabels.mutate(input)
};
