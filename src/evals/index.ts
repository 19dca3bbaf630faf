// Eval suites: regression tests for role outputs (docs/evals.md).
export { findBaseline, regressions } from './baseline.js';
export { type CaseRunOptions, runCase } from './case-run.js';
export { type CostEstimate, estimateCost } from './estimate.js';
export { type CaseObservation, type Check, checkCase } from './expectations.js';
export { type CaseResult, type RunSuiteOptions, runSuite, type SuiteResult } from './run-suite.js';
export { type EvalCase, loadSuite, type Suite } from './suite-file.js';
export { wilson } from './wilson.js';
