import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CommandHandler } from '../../src/app/command-handler.js';
import { certificateDecider, certificateStream } from '../../src/domain/certificate.js';
import { DomainError } from '../../src/domain/errors.js';
import { otpDecider, otpStream } from '../../src/domain/otp.js';
import { MemoryEventStore } from '../../src/eventstore/memory.js';

const now = new Date('2026-11-23T10:00:00.000Z');
const issue = (serial: string) => ({
  type: 'RecordIssuedCertificate' as const,
  data: { serial, issuerId: 'i', subject: 'CN=x', sans: [], notBefore: now.toISOString(), notAfter: '2027-01-01T00:00:00.000Z', der: 'AA', keyType: 'EC P-256' },
  now,
});

describe('command handler', () => {
  test('handleNew appends to a fresh stream and refuses, through the decider, a stream that exists', async () => {
    const store = new MemoryEventStore();
    const commands = new CommandHandler(store);
    const first = await commands.handleNew(certificateStream('ab'), certificateDecider, issue('ab'));
    assert.equal(first.events.length, 1);
    await assert.rejects(commands.handleNew(certificateStream('ab'), certificateDecider, issue('ab')), (error: unknown) => error instanceof DomainError && error.code === 'serial_in_use');
    assert.equal((await store.readStream(certificateStream('ab'))).length, 1);
  });

  test('concurrent commands on one stream are serialised: max_uses is never exceeded', async () => {
    const store = new MemoryEventStore();
    const commands = new CommandHandler(store);
    await commands.handle(otpStream('t'), otpDecider, { type: 'IssueOtp', data: { tokenId: 't', label: 'l', hash: 'h', maxUses: 5, expiresAt: '2026-11-24T00:00:00.000Z' }, now });
    const attempts = await Promise.allSettled(
      Array.from({ length: 20 }, () => commands.handle(otpStream('t'), otpDecider, { type: 'ConsumeOtp', data: { tokenId: 't', profile: 'default' }, now })),
    );
    assert.equal(attempts.filter((a) => a.status === 'fulfilled').length, 5);
    assert.equal((await store.readStream(otpStream('t'))).length, 6);
  });

  test('handleMany decides a batch in order, appends once, and reports each refusal separately', async () => {
    const store = new MemoryEventStore();
    const commands = new CommandHandler(store);
    await commands.handle(otpStream('t'), otpDecider, { type: 'IssueOtp', data: { tokenId: 't', label: 'l', hash: 'h', maxUses: 2, expiresAt: '2026-11-24T00:00:00.000Z' }, now });
    const consume = { type: 'ConsumeOtp' as const, data: { tokenId: 't', profile: 'default' }, now };
    const { outcomes, position } = await commands.handleMany(otpStream('t'), otpDecider, [consume, consume, consume]);
    assert.equal(outcomes.filter((o) => Array.isArray(o)).length, 2);
    assert.ok(outcomes[2] instanceof DomainError && outcomes[2].code === 'otp_used_up');
    assert.equal(position, 3);
  });

  test('a writer in another process (same store, other handler) is caught by the expected revision and retried', async () => {
    const store = new MemoryEventStore();
    const nodeA = new CommandHandler(store);
    const nodeB = new CommandHandler(store);
    await nodeA.handle(otpStream('t'), otpDecider, { type: 'IssueOtp', data: { tokenId: 't', label: 'l', hash: 'h', maxUses: 3, expiresAt: '2026-11-24T00:00:00.000Z' }, now });
    const consume = { type: 'ConsumeOtp' as const, data: { tokenId: 't', profile: 'default' }, now };
    const results = await Promise.allSettled([nodeA, nodeB, nodeA, nodeB, nodeA, nodeB].map((node) => node.handle(otpStream('t'), otpDecider, consume)));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
    const uses = (await store.readStream(otpStream('t'))).filter((e) => e.type === 'OtpConsumed').map((e) => (e.data as { use: number }).use);
    assert.deepEqual(uses, [1, 2, 3]);
  });
});
