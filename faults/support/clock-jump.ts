// A wall-clock step from outside, as NTP stepping the clock or an operator running `date -s` does:
// preloaded into a real `nightshift serve` (NODE_OPTIONS=--import=dist/faults/support/clock-jump.js),
// each SIGUSR2 moves `Date.now()` and `new Date()` by FAULTS_CLOCK_JUMP_MS (negative: backwards). The
// monotonic clock (`performance.now()`) and timers are left alone, as a real step leaves them: a
// `setTimeout` still fires after the milliseconds it was given.
const step = Number(process.env.FAULTS_CLOCK_JUMP_MS);
if (!Number.isFinite(step))
  throw new Error('clock-jump: FAULTS_CLOCK_JUMP_MS must be a number of milliseconds');

const RealDate = Date;
const realNow = RealDate.now.bind(RealDate);
let offset = 0;

RealDate.now = () => realNow() + offset;
// `new Date()` with no argument reads the shifted clock; `new Date(x)` is a conversion, left alone.
globalThis.Date = new Proxy(RealDate, {
  construct(target, args, newTarget) {
    return Reflect.construct(target, args.length === 0 ? [realNow() + offset] : args, newTarget);
  },
});

process.on('SIGUSR2', () => {
  offset += step;
  process.stderr.write(`clock-jump: wall clock moved by ${step} ms (now ${offset} ms off)\n`);
});
