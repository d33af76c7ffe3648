import { MemoryEventStore } from '../../src/eventstore/memory.js';
import { runEventStoreContract } from './eventstore.contract.js';

runEventStoreContract('memory', async () => new MemoryEventStore(), { atomicMultiple: true });
