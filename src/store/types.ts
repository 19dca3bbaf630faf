// Everything the store keeps and the interfaces it offers, in one import. The records live by concept
// under records/, the Store (split by concept) in interfaces.ts; import from here.
export * from './interfaces.js';
export * from './records/access.js';
export * from './records/agents.js';
export * from './records/approvals.js';
export * from './records/batch.js';
export * from './records/catalog.js';
export * from './records/evals.js';
export * from './records/event.js';
export * from './records/improvements.js';
export * from './records/notifications.js';
export * from './records/promotions.js';
export * from './records/run.js';
export * from './records/stats.js';
export * from './records/steps.js';
