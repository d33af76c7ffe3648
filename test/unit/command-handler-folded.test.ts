import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CommandHandler } from '../../src/app/command-handler.js';
import { DomainError } from '../../src/domain/errors.js';
import { otpDecider, otpStream } from '../../src/domain/otp.js';
import { MemoryEventStore } from '../../src/eventstore/memory.js';
import type { ReadStreamOptions } from '../../src/eventstore/port.js';

const now = new Date('2026-11-23T10:00:00.000Z');
const consume = { type: 'ConsumeOtp' as const, data: { tokenId: 't', profile: 'default' }, now };
const issueOtp = (maxUses: number) => ({ type: 'IssueOtp' as const, data: { tokenId: 't', label: 'l', hash: 'h', maxUses, expiresAt: '2026-11-24T00:00:00.000Z' }, now });

/** A memory store that records from which revision each stream read started. */
class CountingStore extends MemoryEventStore {
  readonly reads: number[] = [];
  override async readStream(streamId: string, options: ReadStreamOptions = {}) {
    this.reads.push(options.fromRevision ?? 0);
    return super.readStream(streamId, options);
  }
}

describe('command handler: folded state per stream', () => {
  test('each command reads only the events after the state it already folded', async () => {
    const store = new CountingStore();
    const commands = new CommandHandler(store);
    await commands.handle(otpStream('t'), otpDecider, issueOtp(100));
    for (let i = 0; i < 5; i++) await commands.handle(otpStream('t'), otpDecider, consume);
    assert.deepEqual(store.reads, [0, 1, 2, 3, 4, 5]);
    const uses = (await store.readStream(otpStream('t'))).filter((e) => e.type === 'OtpConsumed').map((e) => (e.data as { use: number }).use);
    assert.deepEqual(uses, [1, 2, 3, 4, 5]);
  });

  test('events another writer appended are folded in before deciding: max_uses still holds', async () => {
    const store = new MemoryEventStore();
    const nodeA = new CommandHandler(store);
    const nodeB = new CommandHandler(store);
    await nodeA.handle(otpStream('t'), otpDecider, issueOtp(2));
    await nodeA.handle(otpStream('t'), otpDecider, consume);
    await nodeB.handle(otpStream('t'), otpDecider, consume);
    await assert.rejects(nodeA.handle(otpStream('t'), otpDecider, consume), (error: unknown) => error instanceof DomainError && error.code === 'otp_used_up');
    assert.equal((await store.readStream(otpStream('t'))).length, 3);
  });
});
