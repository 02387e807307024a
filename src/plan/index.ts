export * from './schema.js';
export * from './plan-data.js';
export * from './load-plan.js';
export * from './programme.js';
export * from './plan-tasks.js';
export * from './target-overrides.js';
