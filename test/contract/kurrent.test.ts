/**
 * KurrentEventStore against the contract.
 * - Always: against FakeKurrentDB, an in-process model of the server, which exercises the adapter's mapping code.
 * - With SIGNET_TEST_KURRENTDB set to a connection string (e.g. 'kurrentdb://localhost:2113?tls=false'):
 *   against that real KurrentDB/EventStoreDB server. Skipped otherwise.
 */
import { test } from 'node:test';
import { KurrentEventStore } from '../../src/eventstore/kurrent.js';
import { FakeKurrentDB } from '../fixtures/fake-kurrentdb.js';
import { runEventStoreContract } from './eventstore.contract.js';

const fake = new FakeKurrentDB();
runEventStoreContract('kurrentdb adapter on an in-process fake server', async () => new KurrentEventStore(fake.asClient()), { sharedLog: true });

const connectionString = process.env.SIGNET_TEST_KURRENTDB;
if (connectionString) {
  runEventStoreContract('kurrentdb server', async () => KurrentEventStore.connect(connectionString), { sharedLog: true });
} else {
  test('event store contract: real KurrentDB server', { skip: 'set SIGNET_TEST_KURRENTDB to a kurrentdb:// or esdb:// connection string to run it' }, () => {});
}
