// serve's heap growth setting (decision 043): where it is read from, and that an operator's own
// --heap-growing-percent (command line or NODE_OPTIONS) is left alone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveServeSettings } from '../../src/config/serve-settings.js';
import { applyHeapGrowth } from '../../src/server/heap-growth.js';

describe('serve heap growth', () => {
  it('defaults to 50 %, read from NIGHTSHIFT_HEAP_GROWING_PERCENT then serve.heapGrowingPercent; 0 is allowed', () => {
    assert.equal(resolveServeSettings({}, {}, {}, undefined).heapGrowingPercent, 50);
    assert.equal(resolveServeSettings({}, {}, { heapGrowingPercent: 80 }, 'c.yaml').heapGrowingPercent, 80);
    assert.equal(
      resolveServeSettings({}, { NIGHTSHIFT_HEAP_GROWING_PERCENT: '0' }, { heapGrowingPercent: 80 }, 'c.yaml')
        .heapGrowingPercent,
      0,
    );
    assert.throws(
      () => resolveServeSettings({}, { NIGHTSHIFT_HEAP_GROWING_PERCENT: '-5' }, {}, undefined),
      /NIGHTSHIFT_HEAP_GROWING_PERCENT must be a whole number from 0 to 1000 \(digits only\), got '-5'/,
    );
  });

  it("sets V8's growth unless it is 0 or the process was started with the flag", () => {
    const plain = { execArgv: ['--enable-source-maps'], nodeOptions: '--max-old-space-size=2048' };
    assert.equal(applyHeapGrowth(50, plain), 50);
    assert.equal(applyHeapGrowth(0, plain), undefined);
    assert.equal(
      applyHeapGrowth(50, { execArgv: ['--heap-growing-percent=200'], nodeOptions: undefined }),
      undefined,
    );
    assert.equal(
      applyHeapGrowth(50, {
        execArgv: [],
        nodeOptions: '--max-old-space-size=2048 --heap_growing_percent=30',
      }),
      undefined,
    );
  });
});
