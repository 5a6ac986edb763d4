/** The WindowStore contract against the DynamoDB store on dynalite: a fresh table per test, so tests never meet. */
import { DynamoDbWindowStore } from '../../lib/adapters/store/dynamodb';
import { freshTable, testClient, useDynalite } from '../support/dynalite';
import { describeWindowStoreContract } from './window-store.contract';

useDynalite();

describeWindowStoreContract(
  'DynamoDbWindowStore',
  async () => {
    // One client per store, as one Lambda container builds one; each store is a new container with a cold cache.
    const client = testClient();
    return new DynamoDbWindowStore(client, { tableName: await freshTable(client, 'contract') });
  },
  { propertyRuns: 20 },
);

// The same contract with pages of ~300 bytes, so that buckets of a handful of events span several pages (frozen
// pages, per-page counters and the merge on read are then exercised by every test above).
describeWindowStoreContract(
  'DynamoDbWindowStore, small pages',
  async () => {
    const client = testClient();
    return new DynamoDbWindowStore(client, { tableName: await freshTable(client, 'paged'), pageBytes: 300 });
  },
  { propertyRuns: 20 },
);
