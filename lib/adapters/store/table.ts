/**
 * The DynamoDB table behind the window store, as data: `createTable` (lib/adapters/store/create-table.ts), the tests and the
 * CloudFormation template all build the table from these constants, so they cannot drift apart.
 * docs/table-design.md explains the layout; lib/adapters/store/dynamodb/ is the only reader and writer of items.
 *
 * Also here: the item-size rules AWS bills by, so that benchmarks and tests compute write units the way AWS does
 * (dynalite's ConsumedCapacity leaves out index writes and failed conditional writes).
 */
import type { AttributeValue, CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/** Key and index attribute names (short on purpose: attribute names count towards billed item size). */
export const ATTR = {
  /** Partition key (S). */
  partitionKey: 'pk',
  /** Sort key (S). */
  sortKey: 'sk',
  /** TTL attribute (N, epoch seconds) on every item. */
  expiresAt: 'exp',
  /** Partition key of the sparse `pending` index (S): present only on claim items while they are pending. */
  pending: 'pq',
  /** Sort key of the `pending` index (N, epoch ms): the claim's lease end. */
  leaseUntil: 'lu',
} as const;

export const TTL_ATTRIBUTE = ATTR.expiresAt;

/** Sparse KEYS_ONLY index over pending alert claims, sorted by lease end (unsentAlerts queries it). */
export const PENDING_INDEX = 'pending';

/**
 * Bucket items are spread over this many partitions per minute (hash of the key). Each partition key takes at most
 * 1 000 write units per second, so one minute can absorb ACTIVE_SHARDS × 1 000 counter writes per second; the
 * evaluator's activeKeys pays ACTIVE_SHARDS Queries per minute of look-back. Changing it orphans existing buckets:
 * only change it together with a new table.
 */
export const ACTIVE_SHARDS = 8;

/** Everything CreateTable needs except the name: keys, the pending index, on-demand billing. */
export const TABLE_DEFINITION = {
  AttributeDefinitions: [
    { AttributeName: ATTR.partitionKey, AttributeType: 'S' },
    { AttributeName: ATTR.sortKey, AttributeType: 'S' },
    { AttributeName: ATTR.pending, AttributeType: 'S' },
    { AttributeName: ATTR.leaseUntil, AttributeType: 'N' },
  ],
  KeySchema: [
    { AttributeName: ATTR.partitionKey, KeyType: 'HASH' },
    { AttributeName: ATTR.sortKey, KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: PENDING_INDEX,
      KeySchema: [
        { AttributeName: ATTR.pending, KeyType: 'HASH' },
        { AttributeName: ATTR.leaseUntil, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    },
  ],
  BillingMode: 'PAY_PER_REQUEST',
} as const satisfies Omit<CreateTableCommandInput, 'TableName'>;

/** The CreateTable input for `tableName` (a fresh deep copy: the SDK may not mutate our constants). */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  return { TableName: tableName, ...structuredClone(TABLE_DEFINITION) } as CreateTableCommandInput;
}

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** Bytes AWS counts for a number: about one per two significant digits, plus one. */
function numberSize(text: string): number {
  const digits = text.replace(/^-/, '').replace('.', '').replace(/e.*$/i, '').replace(/^0+/, '').replace(/0+$/, '');
  return digits.length === 0 ? 1 : Math.ceil(digits.length / 2) + 1;
}

function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return utf8(v.S);
  if (v.N !== undefined) return numberSize(v.N);
  if (v.B !== undefined) return v.B.byteLength;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.SS !== undefined) return v.SS.reduce((sum, s) => sum + utf8(s), 0);
  if (v.NS !== undefined) return v.NS.reduce((sum, n) => sum + numberSize(n), 0);
  if (v.BS !== undefined) return v.BS.reduce((sum, b) => sum + b.byteLength, 0);
  if (v.L !== undefined) return 3 + v.L.reduce((sum, e) => sum + 1 + valueSize(e), 0);
  if (v.M !== undefined) return 3 + Object.entries(v.M).reduce((sum, [k, e]) => sum + 1 + utf8(k) + valueSize(e), 0);
  return 0;
}

/** Item size as AWS bills it: attribute names plus values (docs: "DynamoDB item sizes and formats"). */
export function itemSize(item: Readonly<Record<string, AttributeValue>> | undefined): number {
  if (!item) return 0;
  return Object.entries(item).reduce((sum, [name, value]) => sum + utf8(name) + valueSize(value), 0);
}

/** Write units of one write: one per started KB of the larger of the item before and after (minimum one). */
export function writeUnits(beforeBytes: number, afterBytes: number): number {
  return Math.max(1, Math.ceil(Math.max(beforeBytes, afterBytes) / 1024));
}
