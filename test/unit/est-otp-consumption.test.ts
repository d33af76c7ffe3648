import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CommandHandler } from '../../src/app/command-handler.js';
import { OtpConsumer } from '../../src/app/est/otp-consumption.js';
import { DomainError } from '../../src/domain/errors.js';
import { otpDecider, otpStream } from '../../src/domain/otp.js';
import { MemoryEventStore } from '../../src/eventstore/memory.js';

const now = new Date('2026-11-23T10:00:00.000Z');

async function storeWithOtp(maxUses: number) {
  const store = new MemoryEventStore();
  let appends = 0;
  const append = store.append.bind(store);
  store.append = (...args) => {
    appends++;
    return append(...args);
  };
  const commands = new CommandHandler(store);
  await commands.handle(otpStream('t1'), otpDecider, { type: 'IssueOtp', data: { tokenId: 't1', label: 'burst', hash: 'ab', maxUses, expiresAt: '2026-11-24T10:00:00.000Z' }, now });
  return { store, commands, appends: () => appends - 1 };
}

describe('OTP consumption', () => {
  test('a burst consumes exactly max_uses, in a few batched appends, and refuses the rest as used up', async () => {
    const { store, commands, appends } = await storeWithOtp(20);
    const consumer = new OtpConsumer(commands);
    const outcomes = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => consumer.consume({ tokenId: 't1', label: 'burst', profile: 'default', clientIp: `10.0.0.${i}`, now })));
    const refused = outcomes.filter((o) => o.status === 'rejected');
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 20);
    assert.equal(refused.length, 30);
    for (const r of refused) assert.ok(r.reason instanceof DomainError && r.reason.code === 'otp_used_up');
    const events = await store.readStream(otpStream('t1'));
    assert.deepEqual(events.slice(1).map((e) => (e.data as { use: number }).use), Array.from({ length: 20 }, (_, i) => i + 1));
    assert.equal((events[1].data as { clientIp: string }).clientIp, '10.0.0.0');
    assert.equal(events[1].metadata.action, 'otp_use');
    assert.ok(appends() <= 2, `50 concurrent uses took ${appends()} appends`);
  });

  test('uses arriving while a batch commits form the next batch; other tokens are independent', async () => {
    const { commands, appends } = await storeWithOtp(5);
    await commands.handle(otpStream('t2'), otpDecider, { type: 'IssueOtp', data: { tokenId: 't2', label: 'other', hash: 'cd', maxUses: 1, expiresAt: '2026-11-24T10:00:00.000Z' }, now });
    const consumer = new OtpConsumer(commands);
    const use = (tokenId: string) => consumer.consume({ tokenId, label: 'x', profile: 'default', now });
    const first = use('t1');
    const later = [use('t1'), use('t1'), use('t2')];
    await first;
    await Promise.all(later);
    await assert.rejects(use('t2'), /no uses left/);
    await assert.rejects(consumer.consume({ tokenId: 't1', label: 'x', profile: 'default', now: new Date('2026-11-25T00:00:00.000Z') }), /expired/);
    assert.ok(appends() <= 4);
  });

  test('a use written with the certificate it pays for: both in one write, or neither when the use is refused', async () => {
    const { store, commands } = await storeWithOtp(3);
    let multiple = 0;
    const appendMultiple = store.appendMultiple.bind(store);
    store.appendMultiple = (parts) => {
      multiple++;
      return appendMultiple(parts);
    };
    const consumer = new OtpConsumer(commands);
    const certificate = (i: number) => ({ streamId: `cert-${i}`, events: [{ type: 'CertificateIssued', data: { i } }], expectedRevision: 'no_stream' as const });
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => consumer.consume({ tokenId: 't1', label: 'burst', profile: 'default', now }, certificate(i))));
    const paid = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
    assert.equal(paid.length, 3);
    for (const i of paid) {
      const outcome = outcomes[i] as PromiseFulfilledResult<{ position: number } | undefined>;
      const [recorded] = await store.readStream(`cert-${i}`);
      assert.equal(recorded.position, outcome.value?.position, 'the use answers its certificate\'s position');
    }
    for (const i of [0, 1, 2, 3, 4].filter((i) => !paid.includes(i))) assert.deepEqual(await store.readStream(`cert-${i}`), [], 'a refused use records no certificate');
    assert.ok(multiple >= 1 && multiple <= 2, `${multiple} multi-stream writes`);
  });

  test('when the certificate cannot be written, the use is not recorded either', async () => {
    const { store, commands } = await storeWithOtp(5);
    await store.append('cert-taken', [{ type: 'CertificateIssued', data: {} }]);
    const consumer = new OtpConsumer(commands);
    await assert.rejects(
      consumer.consume({ tokenId: 't1', label: 'burst', profile: 'default', now }, { streamId: 'cert-taken', events: [{ type: 'CertificateIssued', data: {} }], expectedRevision: 'no_stream' }),
      /cert-taken/,
    );
    assert.equal((await store.readStream(otpStream('t1'))).length, 1, 'only the OtpIssued event');
    await consumer.consume({ tokenId: 't1', label: 'burst', profile: 'default', now });
    assert.equal((await store.readStream(otpStream('t1'))).length, 2, 'the token still works');
  });
});
