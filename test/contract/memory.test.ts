import { MemoryWindowStore } from '../../lib/store/memory';
import { describeWindowStoreContract } from './window-store.contract';

describeWindowStoreContract('MemoryWindowStore', () => new MemoryWindowStore(), {
  propertyRuns: 200,
});
