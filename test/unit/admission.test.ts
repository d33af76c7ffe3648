import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AdmissionLimit, OverloadedError } from '../../src/app/admission.js';

describe('AdmissionLimit', () => {
  test('runs up to the limit at once, refuses the next without running it, and frees a slot when work ends or fails', async () => {
    let refused = 0;
    const limit = new AdmissionLimit(2, () => refused++);
    const gates: Array<() => void> = [];
    const blocked = () => new Promise<string>((resolve) => gates.push(() => resolve('done')));
    const first = limit.run(blocked);
    await assert.rejects(limit.run(() => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(limit.inFlight, 1);
    const third = limit.run(blocked);
    assert.equal(limit.inFlight, 2);
    let ran = false;
    await assert.rejects(
      limit.run(async () => (ran = true)),
      (error: unknown) => error instanceof OverloadedError && error.httpStatus === 503 && error.retryAfterSeconds === 1,
    );
    assert.equal(ran, false);
    assert.equal(refused, 1);
    gates.forEach((open) => open());
    assert.deepEqual(await Promise.all([first, third]), ['done', 'done']);
    assert.equal(limit.inFlight, 0);
    assert.equal(await limit.run(async () => 'again'), 'again');
  });

  test('assertRoom refuses when full without taking a slot', async () => {
    let refused = 0;
    const limit = new AdmissionLimit(1, () => refused++);
    limit.assertRoom();
    let release!: () => void;
    const running = limit.run(() => new Promise<void>((resolve) => (release = resolve)));
    assert.throws(() => limit.assertRoom(), OverloadedError);
    assert.equal(limit.inFlight, 1);
    assert.equal(refused, 1);
    release();
    await running;
    limit.assertRoom();
  });

  test('refuses a limit that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => new AdmissionLimit(bad), TypeError);
  });
});
