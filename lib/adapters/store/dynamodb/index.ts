/** The DynamoDB window store: the class that talks to the SDK and the layout pieces others read (bench, tests). */
export {
  bucketItemKey,
  bucketPartition,
  digest7,
  ID_DIGEST_BYTES,
  INLINE_TEXT_BUDGET,
  PAGE_BYTES,
  shardOf,
} from './layout';
export { DynamoDbWindowStore, type DynamoDbWindowStoreOptions } from './store';
