/**
 * Creates the window-store table from ./table.ts (for local runs against dynalite and for tests; in AWS the
 * CloudFormation template creates it from the same definition). Idempotent: an existing table is checked, not changed.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  type TableDescription,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { StoreError } from '../../engine/errors';
import type { Logger } from '../../engine/logger';
import { PENDING_INDEX, TABLE_DEFINITION, TTL_ATTRIBUTE, tableDefinition } from './table';

export interface CreateTableOptions {
  readonly log: Logger;
  /** How often to poll DescribeTable while the table (or its index) is being created. */
  readonly pollMs?: number;
  /** Give up waiting for ACTIVE after this long. */
  readonly timeoutMs?: number;
}

const errorName = (error: unknown) => (error as { name?: unknown } | null)?.name;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Key schema and the pending index must match the definition, or the store would write items the table rejects. */
function mismatch(table: TableDescription): string | undefined {
  const keys = (table.KeySchema ?? []).map((k) => `${k.AttributeName}:${k.KeyType}`).join(',');
  const expected = TABLE_DEFINITION.KeySchema.map((k) => `${k.AttributeName}:${k.KeyType}`).join(',');
  if (keys !== expected) return `key schema is ${keys}, expected ${expected}`;
  const index = table.GlobalSecondaryIndexes?.find((i) => i.IndexName === PENDING_INDEX);
  const want = TABLE_DEFINITION.GlobalSecondaryIndexes[0];
  const got = (index?.KeySchema ?? []).map((k) => `${k.AttributeName}:${k.KeyType}`).join(',');
  const gotWant = want.KeySchema.map((k) => `${k.AttributeName}:${k.KeyType}`).join(',');
  if (got !== gotWant) return `index ${PENDING_INDEX} is ${got || 'missing'}, expected ${gotWant}`;
  return undefined;
}

async function waitActive(client: DynamoDBClient, tableName: string, pollMs: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Table: table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesReady = (table?.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE');
    if (table?.TableStatus === 'ACTIVE' && indexesReady) return table;
    if (Date.now() >= deadline) {
      throw new StoreError('createTable', { detail: `table ${tableName} not ACTIVE after ${timeoutMs} ms` });
    }
    await sleep(pollMs);
  }
}

/** Turns TTL on unless it is on already (so a run that died between CreateTable and this step is repaired). */
async function ensureTtl(client: DynamoDBClient, tableName: string, log: Logger): Promise<void> {
  try {
    const { TimeToLiveDescription: ttl } = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    if (ttl?.TimeToLiveStatus === 'ENABLED' || ttl?.TimeToLiveStatus === 'ENABLING') return;
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      }),
    );
  } catch (error) {
    if (errorName(error) !== 'UnknownOperationException') throw new StoreError('createTable', { cause: error });
    log.warn('TTL not supported by this endpoint; expired items stay (reads ignore them)', {
      tableName,
      attribute: TTL_ATTRIBUTE,
    });
  }
}

/**
 * Creates `tableName` (keys, pending index, on-demand), waits until it is ACTIVE and turns TTL on. dynalite has no
 * UpdateTimeToLive: then a warning is logged and the table is used without TTL (reads filter expired items anyway).
 * Returns 'exists' when the table was already there (its keys are checked, TTL is turned on if it is off).
 */
export async function createTable(
  client: DynamoDBClient,
  tableName: string,
  { log, pollMs = 1000, timeoutMs = 300_000 }: CreateTableOptions,
): Promise<'created' | 'exists'> {
  let outcome: 'created' | 'exists' = 'created';
  try {
    await client.send(new CreateTableCommand(tableDefinition(tableName)));
  } catch (error) {
    if (errorName(error) !== 'ResourceInUseException') throw new StoreError('createTable', { cause: error });
    outcome = 'exists';
  }
  let table: TableDescription;
  try {
    table = await waitActive(client, tableName, pollMs, timeoutMs);
  } catch (error) {
    throw new StoreError('createTable', { cause: error });
  }
  const wrong = mismatch(table);
  if (wrong) throw new StoreError('createTable', { detail: `table ${tableName} exists but its ${wrong}` });
  await ensureTtl(client, tableName, log);
  log.info(outcome === 'created' ? 'table created' : 'table exists', { tableName, ttlAttribute: TTL_ATTRIBUTE });
  return outcome;
}
