/**
 * The behaviour every EventStore adapter must have. Each adapter's *.test.ts calls runEventStoreContract.
 *
 * `sharedLog` adapters (KurrentDB) run against a server that keeps history between tests: the suite then uses
 * stream names unique to this run, measures from the head instead of 0, and does not expect dense positions.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  EventStoreClosedError,
  WrongExpectedRevisionError,
  type AllSubscription,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type RecordedEvent,
} from '../../src/eventstore/port.js';

export interface ContractOptions {
  /** The log is not empty at the start of a test and other tests' events stay in it. */
  sharedLog?: boolean;
  /** appendMultiple is one write by contract (SQLite, memory); otherwise its parts go one after the other. */
  atomicMultiple?: boolean;
}

const TIMEOUT = { timeout: 20_000 };

function ev(type: string, data: unknown, metadata?: NewEvent['metadata']): NewEvent {
  return { type, data, metadata };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function assertConflict(append: Promise<unknown>, streamId: string, expected: ExpectedRevision, actual: number): Promise<void> {
  await assert.rejects(append, (error: unknown) => {
    assert.ok(error instanceof WrongExpectedRevisionError, `expected WrongExpectedRevisionError, got ${String(error)}`);
    assert.equal(error.code, 'WRONG_EXPECTED_REVISION');
    assert.equal(error.streamId, streamId);
    assert.equal(error.expected, expected);
    assert.equal(error.actual, actual);
    return true;
  });
}

/** Reads a subscription in the background, keeping the events `keep` accepts. */
function follow(subscription: AllSubscription, keep: (event: RecordedEvent) => boolean) {
  const events: RecordedEvent[] = [];
  const batchSizes: number[] = [];
  const done = (async () => {
    for await (const batch of subscription) {
      batchSizes.push(batch.length);
      events.push(...batch.filter(keep));
    }
  })();
  done.catch(() => {});
  return {
    events,
    batchSizes,
    done,
    async waitFor(count: number, ms = 5_000): Promise<RecordedEvent[]> {
      const deadline = Date.now() + ms;
      while (events.length < count) {
        if (Date.now() > deadline) throw new Error(`subscription delivered ${events.length} of ${count} events within ${ms} ms`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return events;
    },
  };
}

const coordinates = (events: RecordedEvent[]) => events.map((event) => `${event.streamId}@${event.revision}`);

function assertIncreasing(events: RecordedEvent[]): void {
  events.forEach((event, i) => {
    assert.ok(Number.isSafeInteger(event.position) && event.position > 0, `position ${event.position} is a positive integer`);
    if (i > 0) assert.ok(event.position > events[i - 1].position, `position ${event.position} follows ${events[i - 1].position}`);
  });
}

export function runEventStoreContract(name: string, open: () => Promise<EventStore>, options: ContractOptions = {}): void {
  const shared = options.sharedLog ?? false;
  const run = randomUUID().slice(0, 8);
  let counter = 0;
  /** A stream name unique to this run and call. */
  const stream = (label: string) => `${label}-${run}-${++counter}`;
  const ours = (event: RecordedEvent) => event.streamId.includes(`-${run}-`);

  async function withStore(body: (store: EventStore) => Promise<void>): Promise<void> {
    const store = await open();
    try {
      await body(store);
    } finally {
      await store.close();
    }
  }

  /** Where "the beginning" is for this test: 0 on a fresh store, the current head on a shared log. */
  const baseline = async (store: EventStore) => {
    const head = await store.headPosition();
    if (!shared) assert.equal(head, 0, 'a fresh store is empty');
    return head;
  };

  const readOurs = async (store: EventStore, options?: Parameters<EventStore['readAll']>[0]) =>
    (await collect(store.readAll(options))).filter(ours);

  describe(`event store contract: ${name}`, () => {
    test('appendMultiple writes each part under its own expected revision and answers each part', TIMEOUT, () =>
      withStore(async (store) => {
        const guard = stream('guard');
        const first = stream('paid');
        const second = stream('paid');
        await store.append(guard, [ev('Opened', 0)]);
        const results = await store.appendMultiple([
          { streamId: guard, events: [ev('Used', 1)], expectedRevision: 0 },
          { streamId: first, events: [ev('Issued', 'a'), ev('Noted', 'a2')], expectedRevision: 'no_stream' },
          { streamId: second, events: [ev('Issued', 'b')], expectedRevision: 'no_stream' },
        ]);
        assert.deepEqual(results.map((r) => r.nextExpectedRevision), [1, 1, 0]);
        assert.ok(results[0].position < results[1].position && results[1].position < results[2].position, 'parts are written in order');
        assert.deepEqual((await store.readStream(guard)).map((e) => e.type), ['Opened', 'Used']);
        const paid = await store.readStream(first);
        assert.deepEqual(paid.map((e) => [e.type, e.data]), [['Issued', 'a'], ['Noted', 'a2']]);
        assert.ok(paid[0].position > results[0].position && paid[1].position === results[1].position, 'a part answers its last event');
        assert.deepEqual((await store.readStream(second)).map((e) => e.position), [results[2].position]);
      }),
    );

    test('appendMultiple: a conflict in the first part writes nothing and fails with the part\'s stream', TIMEOUT, () =>
      withStore(async (store) => {
        const guard = stream('guard');
        const paid = stream('paid');
        await store.append(guard, [ev('Opened', 0), ev('Used', 1)]);
        const failure = store.appendMultiple([
          { streamId: guard, events: [ev('Used', 2)], expectedRevision: 0 },
          { streamId: paid, events: [ev('Issued', 'x')], expectedRevision: 'no_stream' },
        ]);
        await assertConflict(failure, guard, 0, 1);
        assert.deepEqual(await store.readStream(paid), []);
        assert.equal((await store.readStream(guard)).length, 2);
      }),
    );

    if (options.atomicMultiple) {
      test('appendMultiple is all or nothing: a conflict in a later part undoes the earlier ones', TIMEOUT, () =>
        withStore(async (store) => {
          const guard = stream('guard');
          const taken = stream('taken');
          await store.append(taken, [ev('Issued', 'first')]);
          const head = await store.headPosition();
          const failure = store.appendMultiple([
            { streamId: guard, events: [ev('Used', 1)], expectedRevision: 'no_stream' },
            { streamId: taken, events: [ev('Issued', 'second')], expectedRevision: 'no_stream' },
          ]);
          await assertConflict(failure, taken, 'no_stream', 0);
          assert.deepEqual(await store.readStream(guard), []);
          assert.equal(await store.headPosition(), head, 'nothing was written');
          const after = await store.append(guard, [ev('Used', 1)], { expectedRevision: 'no_stream' });
          assert.equal(after.position, head + 1, 'positions stay dense');
        }),
      );
    }

    test('append then readStream round-trips type, data, metadata, ids, revisions and positions', TIMEOUT, () =>
      withStore(async (store) => {
        const s = stream('roundtrip');
        const fixedId = randomUUID();
        const data = { text: 'é✓ "quoted"', n: 1.5, yes: true, none: null, list: [1, 'two', { three: 3 }] };
        const before = Date.now();
        const result = await store.append(
          s,
          [ev('Created', data, { actor: 'alice', request_id: 'r-1', v: 2, extra: { nested: ['x'] } }), { type: 'Renamed', data: 'plain string', id: fixedId }],
          { expectedRevision: 'no_stream' },
        );
        const after = Date.now();
        const events = await store.readStream(s);

        assert.equal(events.length, 2);
        const [first, second] = events;
        assert.deepEqual(
          events.map(({ streamId, revision, type, data: d, metadata }) => ({ streamId, revision, type, data: d, metadata })),
          [
            { streamId: s, revision: 0, type: 'Created', data, metadata: { actor: 'alice', request_id: 'r-1', v: 2, extra: { nested: ['x'] } } },
            { streamId: s, revision: 1, type: 'Renamed', data: 'plain string', metadata: {} },
          ],
        );
        assert.equal(second.id, fixedId);
        assert.match(first.id, /^[0-9a-f-]{36}$/i, 'a generated id is a UUID');
        assert.notEqual(first.id, second.id);
        assert.deepEqual(result, { nextExpectedRevision: 1, position: second.position });
        assertIncreasing(events);
        const slack = shared ? 60_000 : 0; // a server's clock may differ from ours
        for (const event of events) {
          assert.ok(event.created >= before - slack && event.created <= after + slack, `created ${event.created} within [${before}, ${after}]`);
        }
      }),
    );

    test('an imported event keeps the commit time it is given; others get the store time; metadata is untouched', TIMEOUT, () =>
      withStore(async (store) => {
        const s = stream('imported');
        const original = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
        await store.append(s, [{ type: 'Old', data: 1, metadata: { actor: 'a' }, created: original }, ev('New', 2)]);
        const [old, fresh] = await store.readStream(s);
        assert.equal(old.created, original);
        assert.deepEqual(old.metadata, { actor: 'a' });
        assert.ok(Math.abs(fresh.created - Date.now()) < (shared ? 60_000 : 5_000));
        assert.deepEqual(fresh.metadata, {});
        const [fromAll] = (await readOurs(store)).filter((e) => e.streamId === s);
        assert.equal(fromAll.created, original);
      }),
    );

    test('expectedRevision no_stream: succeeds on a new stream, conflicts once it exists', TIMEOUT, () =>
      withStore(async (store) => {
        const s = stream('nostream');
        assert.equal((await store.append(s, [ev('A', 1)], { expectedRevision: 'no_stream' })).nextExpectedRevision, 0);
        await assertConflict(store.append(s, [ev('B', 2)], { expectedRevision: 'no_stream' }), s, 'no_stream', 0);
      }),
    );

    test('expectedRevision stream_exists: conflicts on a missing stream, succeeds on an existing one', TIMEOUT, () =>
      withStore(async (store) => {
        const s = stream('exists');
        await assertConflict(store.append(s, [ev('A', 1)], { expectedRevision: 'stream_exists' }), s, 'stream_exists', -1);
        await store.append(s, [ev('A', 1)]);
        assert.equal((await store.append(s, [ev('B', 2)], { expectedRevision: 'stream_exists' })).nextExpectedRevision, 1);
      }),
    );

    test('expectedRevision as a number must equal the revision of the last event', TIMEOUT, () =>
      withStore(async (store) => {
        const s = stream('exact');
        await assertConflict(store.append(s, [ev('A', 0)], { expectedRevision: 0 }), s, 0, -1);
        await store.append(s, [ev('A', 0)], { expectedRevision: 'no_stream' });
        assert.equal((await store.append(s, [ev('B', 1), ev('B', 2)], { expectedRevision: 0 })).nextExpectedRevision, 2);
        await assertConflict(store.append(s, [ev('C', 3)], { expectedRevision: 0 }), s, 0, 2);
        await assertConflict(store.append(s, [ev('C', 3)], { expectedRevision: 5 }), s, 5, 2);
        assert.equal((await store.append(s, [ev('C', 3)], { expectedRevision: 2 })).nextExpectedRevision, 3);
      }),
    );

    test('expectedRevision any, and no option at all, append whatever the stream state', TIMEOUT, () =>
      withStore(async (store) => {
        const s = stream('any');
        assert.equal((await store.append(s, [ev('A', 0)], { expectedRevision: 'any' })).nextExpectedRevision, 0);
        assert.equal((await store.append(s, [ev('A', 1)], { expectedRevision: 'any' })).nextExpectedRevision, 1);
        assert.equal((await store.append(s, [ev('A', 2)])).nextExpectedRevision, 2);
        assert.equal((await store.append(stream('any-new'), [ev('A', 0)])).nextExpectedRevision, 0);
      }),
    );

    test('a rejected append writes nothing', TIMEOUT, () =>
      withStore(async (store) => {
        const s = stream('rejected');
        const first = await store.append(s, [ev('A', 0)]);
        const head = await store.headPosition();
        await assertConflict(store.append(s, [ev('B', 1), ev('B', 2)], { expectedRevision: 'no_stream' }), s, 'no_stream', 0);
        assert.deepEqual((await store.readStream(s)).map((e) => e.type), ['A']);
        if (!shared) assert.equal(await store.headPosition(), head);
        assert.ok((await store.append(s, [ev('C', 1)], { expectedRevision: 0 })).position > first.position);
      }),
    );

    test('malformed appends are rejected before anything is written', TIMEOUT, () =>
      withStore(async (store) => {
        const s = stream('malformed');
        await assert.rejects(store.append(s, []), TypeError);
        await assert.rejects(store.append(s, [ev('A', 0)], { expectedRevision: -1 }), TypeError);
        await assert.rejects(store.append(s, [ev('A', 0)], { expectedRevision: 'latest' as ExpectedRevision }), TypeError);
        const id = randomUUID();
        await assert.rejects(store.append(s, [{ type: 'A', data: 0, id }, { type: 'B', data: 1, id }]), TypeError);
        assert.deepEqual(await store.readStream(s), []);
      }),
    );

    test('revisions number 0, 1, 2… contiguously across appends', TIMEOUT, () =>
      withStore(async (store) => {
        const s = stream('numbering');
        const sizes = [1, 3, 2, 1];
        const results = [];
        for (const size of sizes) {
          results.push(await store.append(s, Array.from({ length: size }, (_, i) => ev('E', i))));
        }
        assert.deepEqual(results.map((r) => r.nextExpectedRevision), [0, 3, 5, 6]);
        const events = await store.readStream(s);
        assert.deepEqual(events.map((e) => e.revision), [0, 1, 2, 3, 4, 5, 6]);
        assertIncreasing(events);
        assert.deepEqual(results.map((r) => r.position), [0, 3, 5, 6].map((revision) => events[revision].position));
      }),
    );

    test('readStream honours fromRevision and maxCount; a missing stream reads as []', TIMEOUT, () =>
      withStore(async (store) => {
        const s = stream('readstream');
        await store.append(s, Array.from({ length: 6 }, (_, i) => ev('E', { i })));
        const revisions = async (options: Parameters<EventStore['readStream']>[1]) => (await store.readStream(s, options)).map((e) => e.revision);
        assert.deepEqual(await revisions({ fromRevision: 2 }), [2, 3, 4, 5]);
        assert.deepEqual(await revisions({ maxCount: 2 }), [0, 1]);
        assert.deepEqual(await revisions({ fromRevision: 3, maxCount: 2 }), [3, 4]);
        assert.deepEqual(await revisions({ fromRevision: 5, maxCount: 10 }), [5]);
        assert.deepEqual(await revisions({ fromRevision: 6 }), []);
        assert.deepEqual((await store.readStream(s, { fromRevision: 4 })).map((e) => e.data), [{ i: 4 }, { i: 5 }]);
        assert.deepEqual(await store.readStream(stream('missing')), []);
      }),
    );

    test('readAll returns commit order with exclusive fromPosition, inclusive toPosition and maxCount', TIMEOUT, () =>
      withStore(async (store) => {
        const base = await baseline(store);
        const [a, b, c] = [stream('all-a'), stream('all-b'), stream('all-c')];
        const results = [
          await store.append(a, [ev('A', 0), ev('A', 1)]),
          await store.append(b, [ev('B', 0)]),
          await store.append(a, [ev('A', 2)]),
          await store.append(c, [ev('C', 0), ev('C', 1), ev('C', 2)]),
        ];
        const all = await readOurs(store, { fromPosition: base });
        assert.deepEqual(coordinates(all), [`${a}@0`, `${a}@1`, `${b}@0`, `${a}@2`, `${c}@0`, `${c}@1`, `${c}@2`]);
        assertIncreasing(all);
        assert.deepEqual(results.map((r) => r.position), [all[1], all[2], all[3], all[6]].map((e) => e.position));
        if (store.kind !== 'kurrentdb') {
          assert.deepEqual(all.map((e) => e.position), [1, 2, 3, 4, 5, 6, 7].map((i) => base + i), 'positions are dense');
        }
        const p = all.map((e) => e.position);
        assert.deepEqual(coordinates(await readOurs(store, { fromPosition: p[2] })), coordinates(all.slice(3)));
        assert.deepEqual(coordinates(await readOurs(store, { fromPosition: base, toPosition: p[4] })), coordinates(all.slice(0, 5)));
        assert.deepEqual(coordinates(await readOurs(store, { fromPosition: p[0], maxCount: 3 })), coordinates(all.slice(1, 4)));
        assert.deepEqual(coordinates(await readOurs(store, { fromPosition: p[1], toPosition: p[5], maxCount: 2 })), coordinates(all.slice(2, 4)));
        assert.deepEqual(coordinates(await readOurs(store, { fromPosition: p[3], toPosition: p[3] })), []);
        assert.deepEqual(await readOurs(store, { fromPosition: p[6] }), []);
        const fromStart = await readOurs(store);
        assert.deepEqual(coordinates(fromStart.slice(-7)), coordinates(all), 'readAll() with no options starts at the beginning');
        assert.deepEqual(all[4], (await store.readStream(c))[0], 'readAll and readStream return the same event');
      }),
    );

    test('an append retried with the same event ids is idempotent', TIMEOUT, () =>
      withStore(async (store) => {
        const s = stream('idempotent');
        const batch = [
          { type: 'A', data: 1, id: randomUUID() },
          { type: 'B', data: 2, id: randomUUID() },
        ];
        const first = await store.append(s, batch, { expectedRevision: 'no_stream' });
        assert.deepEqual(await store.append(s, batch, { expectedRevision: 'no_stream' }), first);
        const next = [{ type: 'C', data: 3, id: randomUUID() }];
        const third = await store.append(s, next, { expectedRevision: 1 });
        assert.deepEqual(await store.append(s, next, { expectedRevision: 1 }), third);
        assert.deepEqual((await store.readStream(s)).map((e) => e.type), ['A', 'B', 'C']);
      }),
    );

    test('concurrent appends expecting the same revision: exactly one wins', TIMEOUT, () =>
      withStore(async (store) => {
        const s = stream('race');
        const racers = 8;
        const created = await Promise.allSettled(
          Array.from({ length: racers }, (_, i) => store.append(s, [ev('Created', { by: i })], { expectedRevision: 'no_stream' })),
        );
        assert.equal(created.filter((r) => r.status === 'fulfilled').length, 1, 'one no_stream append wins');
        for (const r of created) if (r.status === 'rejected') await assertConflict(Promise.reject(r.reason), s, 'no_stream', 0);

        const next = await Promise.allSettled(Array.from({ length: racers }, (_, i) => store.append(s, [ev('Used', { by: i })], { expectedRevision: 0 })));
        const winners = next.flatMap((r, i) => (r.status === 'fulfilled' ? [{ i, result: r.value }] : []));
        assert.equal(winners.length, 1, 'one append at revision 0 wins');
        assert.equal(winners[0].result.nextExpectedRevision, 1);
        for (const r of next) if (r.status === 'rejected') await assertConflict(Promise.reject(r.reason), s, 0, 1);
        const events = await store.readStream(s);
        assert.equal(events.length, 2);
        assert.deepEqual(events[1].data, { by: winners[0].i }, 'the stored event is the winner’s');
      }),
    );

    test('concurrent appends to different streams all commit, one position each', TIMEOUT, () =>
      withStore(async (store) => {
        const base = await baseline(store);
        const streams = Array.from({ length: 40 }, () => stream('parallel'));
        const results = await Promise.all(streams.map((s, i) => store.append(s, [ev('A', i), ev('B', i)], { expectedRevision: 'no_stream' })));
        assert.equal(new Set(results.map((r) => r.position)).size, streams.length, 'distinct positions');
        const all = await readOurs(store, { fromPosition: base });
        assert.equal(all.length, 2 * streams.length);
        assertIncreasing(all);
        if (store.kind !== 'kurrentdb') assert.equal(all[all.length - 1].position, base + all.length, 'positions are dense');
        for (const [i, s] of streams.entries()) {
          const events = await store.readStream(s);
          assert.deepEqual(events.map((e) => e.data), [i, i]);
          assert.equal(events[1].position, results[i].position);
          const at = all.findIndex((e) => e.id === events[0].id);
          assert.equal(all[at + 1].id, events[1].id, 'an append’s events are adjacent in the log');
        }
      }),
    );

    test('subscribeToAll catches up from the beginning in batches, then delivers live appends', TIMEOUT, () =>
      withStore(async (store) => {
        const base = await baseline(store);
        const [a, b] = [stream('sub-a'), stream('sub-b')];
        await store.append(a, [ev('A', 0), ev('A', 1)]);
        await store.append(b, [ev('B', 0)]);
        await store.append(a, [ev('A', 2), ev('A', 3)]);
        const history = await readOurs(store, { fromPosition: base });

        const subscription = store.subscribeToAll({ fromPosition: base, batchSize: 2 });
        const follower = follow(subscription, ours);
        assert.deepEqual(await follower.waitFor(5), history, 'catch-up delivers history in order');
        assert.ok(Math.max(...follower.batchSizes) <= 2, `batches of at most 2, got ${follower.batchSizes}`);

        const live = await store.append(b, [ev('B', 1)]);
        const later = await store.append(a, [ev('A', 4), ev('A', 5)]);
        const received = await follower.waitFor(8);
        assert.deepEqual(coordinates(received.slice(5)), [`${b}@1`, `${a}@4`, `${a}@5`]);
        assert.deepEqual([received[5].position, received[7].position], [live.position, later.position]);
        assertIncreasing(received);

        await subscription.close();
        await withTimeout(follower.done, 2_000, 'the subscription to end after close()');
        await store.append(b, [ev('B', 2)]);
        assert.equal(follower.events.length, 8, 'nothing is delivered after close()');
      }),
    );

    test('subscribeToAll from a checkpoint starts right after it', TIMEOUT, () =>
      withStore(async (store) => {
        const s = stream('checkpoint');
        await store.append(s, [ev('E', 0), ev('E', 1)]);
        const checkpoint = await store.append(s, [ev('E', 2)]);
        await store.append(s, [ev('E', 3)]);
        const subscription = store.subscribeToAll({ fromPosition: checkpoint.position });
        const follower = follow(subscription, ours);
        assert.deepEqual(coordinates(await follower.waitFor(1)), [`${s}@3`]);
        await store.append(s, [ev('E', 4)]);
        assert.deepEqual(coordinates(await follower.waitFor(2)), [`${s}@3`, `${s}@4`]);
        await subscription.close();
      }),
    );

    test('headPosition is 0 when empty, then the position of the newest event', TIMEOUT, () =>
      withStore(async (store) => {
        await baseline(store);
        const s = stream('head');
        const first = await store.append(s, [ev('A', 0), ev('A', 1)]);
        assert.equal(await store.headPosition(), first.position);
        await assertConflict(store.append(s, [ev('B', 0)], { expectedRevision: 'no_stream' }), s, 'no_stream', 1);
        if (!shared) assert.equal(await store.headPosition(), first.position, 'a failed append does not move the head');
        const second = await store.append(stream('head'), [ev('C', 0)]);
        assert.equal(await store.headPosition(), second.position);
      }),
    );

    test('close() finishes in-flight appends and ends subscriptions; afterwards the store rejects work', TIMEOUT, async () => {
      const store = await open();
      const s = stream('closing');
      await store.append(s, [ev('Opened', 0)]);
      const follower = follow(store.subscribeToAll({ fromPosition: await store.headPosition() }), ours);
      const inflight = Array.from({ length: 20 }, (_, i) => store.append(stream('closing'), [ev('Pending', i)]));
      await store.close();
      const settled = await Promise.allSettled(inflight);
      assert.deepEqual(settled.map((r) => r.status), inflight.map(() => 'fulfilled'), 'appends started before close() commit');
      await withTimeout(follower.done, 5_000, 'close() to end the subscription');

      await assert.rejects(store.append(s, [ev('Late', 0)]), EventStoreClosedError);
      await assert.rejects(store.readStream(s), EventStoreClosedError);
      await assert.rejects(store.headPosition(), EventStoreClosedError);
      await assert.rejects(collect(store.readAll()), EventStoreClosedError);
      await store.close(); // idempotent
    });
  });
}
