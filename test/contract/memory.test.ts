import { MemoryWindowStore } from '../../lib/adapters/store/memory';
import { describeWindowStoreContract } from './window-store.contract';

describeWindowStoreContract('MemoryWindowStore', () => new MemoryWindowStore(), {
  propertyRuns: 200,
});
