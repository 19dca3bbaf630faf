// The gated improvement loop: propose, validate, evaluate, compare, promote only on evidence (docs/evals.md).
export { buildCandidate, type Candidate, type LoadRoleText } from './candidate.js';
export { type CompareOptions, compareRuns, signTestP, type Verdict } from './compare.js';
export { formatHistory, formatRound } from './format.js';
export { type ImproveOptions, type ImproveResult, improve } from './improve.js';
export { CHANGEABLE, Proposal, proposerInput, proposerRole } from './proposal.js';
