import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { CheckScheduler } from '../../../src/health/scheduler.js';
import { eventually } from '../../harness/eventually.js';

describe('check scheduler', () => {
  let scheduler: CheckScheduler;
  afterEach(() => scheduler.stop());

  it('never runs more jobs at once than its bound, and runs every job again after its interval', async () => {
    scheduler = new CheckScheduler({ maxInFlight: 3, random: () => 0 });
    let running = 0;
    let most = 0;
    const runs = new Map<string, number>();
    for (let i = 0; i < 20; i++) {
      scheduler.add(`job${i}`, 30, async () => {
        most = Math.max(most, ++running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        runs.set(`job${i}`, (runs.get(`job${i}`) ?? 0) + 1);
      });
    }
    await eventually(() => assert.ok([...Array(20).keys()].every((i) => (runs.get(`job${i}`) ?? 0) >= 2)));
    assert.equal(most, 3);
  });

  it('a removed job runs no more', async () => {
    scheduler = new CheckScheduler({ maxInFlight: 10 });
    let runs = 0;
    scheduler.add('job', 10, async () => void runs++);
    await eventually(() => assert.ok(runs >= 1));
    scheduler.remove('job');
    const seen = runs;
    let otherRuns = 0;
    scheduler.add('other', 10, async () => void otherRuns++);
    await eventually(() => assert.ok(otherRuns >= 3));
    assert.equal(runs, seen, 'not even a run already due when it was removed');
    assert.equal(scheduler.size, 1);
  });
});
