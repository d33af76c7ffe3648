import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { enrollmentRejected, recordRejection } from '../../src/app/est/rejections.js';
import { ENROLLMENT_REJECTED_STREAM } from '../../src/domain/enrollment.js';
import { MemoryEventStore } from '../../src/eventstore/memory.js';
import { loadCsr } from '../fixtures/crypto/helpers.js';

const now = new Date('2026-11-23T10:00:00.000Z');

describe('EST rejections', () => {
  test('what was known is recorded: the subject is read from the request only when refused', () => {
    const event = enrollmentRejected({ action: 'enroll', profile: 'default', csrDer: loadCsr('p256-full') }, 'forbidden', 'not allowed', now);
    assert.equal(event.type, 'EnrollmentRejected');
    assert.deepEqual({ ...event.data, subject: undefined }, { action: 'enroll', result: 'forbidden', reason: 'not allowed', profile: 'default', at: now.toISOString(), subject: undefined });
    assert.match(event.data.subject ?? '', /CN=/);
    const garbage = enrollmentRejected({ action: 'reenroll', csrDer: Uint8Array.of(1, 2, 3) }, 'bad_request', 'malformed', now);
    assert.equal('subject' in garbage.data, false);
  });

  test('client-controlled text is bounded', () => {
    const event = enrollmentRejected({ action: 'enroll', profile: 'x'.repeat(5000) }, 'not_found', `no EST profile "${'x'.repeat(5000)}"`, now);
    assert.equal(event.data.reason.length, 300);
    assert.equal(event.data.profile?.length, 300);
  });

  test('appended with expected revision any, metadata carrying who and from where', async () => {
    const store = new MemoryEventStore();
    await recordRejection(store, { action: 'serverkeygen', clientIp: '10.1.2.3', authMethod: 'otp', actor: 'otp:line' }, 'unavailable', 'busy', now);
    await recordRejection(store, { action: 'enroll' }, 'unauthorized', 'no credentials', now);
    const [first, second] = await store.readStream(ENROLLMENT_REJECTED_STREAM);
    assert.deepEqual(first.metadata, { v: 1, client_ip: '10.1.2.3', auth_method: 'otp', actor: 'otp:line' });
    assert.equal((second.data as { reason: string }).reason, 'no credentials');
  });
});
