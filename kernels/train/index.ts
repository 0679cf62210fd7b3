/** Training on WebGPU: backward ops, LoRA, AdamW and the whole-model Llama trainer. */
export * from './train-ops.js';
export * from './lora.js';
export * from './train-batch.js';
export {
	LlamaTrainer,
	trainerOptionsSchema,
	type ParamInfo,
	type PreferenceResult,
	type StepResult,
	type TrainerOptions
} from './llama-train.js';
export {
	dpoModelRef,
	llamaTrainRef,
	loraNames,
	LORA_TARGETS,
	modelRef,
	REWARD_HEAD,
	rewardModelRef,
	type LoraTarget,
	type RefLora,
	type RefTop
} from './llama-train.ref.js';
export * from './preference.ref.js';
export * from './train-ops.ref.js';
