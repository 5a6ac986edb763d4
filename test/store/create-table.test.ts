/** createTable against dynalite (which has no TTL API) and against a mocked DynamoDB (which has). */

import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  InternalServerError,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createTable } from '../../lib/adapters/store/create-table';
import { ATTR, PENDING_INDEX, TABLE_DEFINITION, TTL_ATTRIBUTE, tableDefinition } from '../../lib/adapters/store/table';
import { StoreError } from '../../lib/engine/errors';
import { testClient, uniqueTableName, useDynalite } from '../support/dynalite';
import { recordingLogger } from '../support/logger';

function recordingLog() {
  const log = recordingLogger();
  return Object.assign(log, { lines: log.calls });
}

describe('createTable on dynalite', () => {
  useDynalite();

  test('creates the table with its keys, the pending index and on-demand billing, and says so', async () => {
    // Prepare
    const client = testClient();
    const name = uniqueTableName('create');
    const log = recordingLog();
    // Act
    const outcome = await createTable(client, name, { log, pollMs: 10 });
    // Assess
    expect(outcome).toBe('created');
    const { Table: table } = await client.send(new DescribeTableCommand({ TableName: name }));
    expect(table?.TableStatus).toBe('ACTIVE');
    expect(table?.KeySchema).toEqual(TABLE_DEFINITION.KeySchema);
    expect(table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    const index = table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === PENDING_INDEX);
    expect(index?.KeySchema?.map((k) => k.AttributeName)).toEqual([ATTR.pending, ATTR.leaseUntil]);
    expect(index?.Projection?.ProjectionType).toBe('KEYS_ONLY');
  });

  test('warns that dynalite cannot expire items and carries on', async () => {
    // Prepare
    const log = recordingLog();
    // Act
    await createTable(testClient(), uniqueTableName('ttl'), { log, pollMs: 10 });
    // Assess
    expect(log.lines.filter((l) => l.level === 'warn')).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ attribute: TTL_ATTRIBUTE }) }),
    ]);
  });

  test('answers exists for a table that is already there', async () => {
    // Prepare
    const client = testClient();
    const name = uniqueTableName('twice');
    await createTable(client, name, { log: recordingLog(), pollMs: 10 });
    // Act
    const outcome = await createTable(client, name, { log: recordingLog(), pollMs: 10 });
    // Assess
    expect(outcome).toBe('exists');
  });

  test('refuses an existing table whose keys differ from the definition', async () => {
    // Prepare
    const client = testClient();
    const name = uniqueTableName('foreign');
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );
    // Act
    const error = await createTable(client, name, { log: recordingLog(), pollMs: 10 }).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).message).toContain('key schema');
  });
});

describe('createTable on a mocked DynamoDB', () => {
  // Created here, not at load time: the mock replaces send() of every DynamoDBClient until restored.
  let ddb: ReturnType<typeof mockClient>;
  beforeAll(() => {
    ddb = mockClient(DynamoDBClient);
  });
  const metadata = { $metadata: {} };
  const active = {
    Table: {
      TableStatus: 'ACTIVE' as const,
      KeySchema: tableDefinition('t').KeySchema,
      GlobalSecondaryIndexes: [
        {
          IndexName: PENDING_INDEX,
          IndexStatus: 'ACTIVE' as const,
          KeySchema: TABLE_DEFINITION.GlobalSecondaryIndexes[0].KeySchema.map((k) => ({ ...k })),
        },
      ],
    },
  };
  beforeEach(() => ddb.reset());
  afterAll(() => ddb.restore());

  test('waits while the table is being created, then turns TTL on with the store’s attribute', async () => {
    // Prepare
    ddb.on(CreateTableCommand).resolves({});
    ddb
      .on(DescribeTableCommand)
      .resolvesOnce({ Table: { TableStatus: 'CREATING' } })
      .resolves(active);
    ddb.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } });
    ddb.on(UpdateTimeToLiveCommand).resolves({});
    const log = recordingLog();
    // Act
    const outcome = await createTable(new DynamoDBClient({ region: 'us-east-1' }), 'rsr', { log, pollMs: 1 });
    // Assess
    expect(outcome).toBe('created');
    expect(ddb.commandCalls(DescribeTableCommand)).toHaveLength(2);
    expect(ddb.commandCalls(UpdateTimeToLiveCommand)[0]?.args[0].input.TimeToLiveSpecification).toEqual({
      AttributeName: TTL_ATTRIBUTE,
      Enabled: true,
    });
    expect(log.lines.filter((l) => l.level === 'warn')).toEqual([]);
  });

  test('leaves TTL alone on an existing table that has it', async () => {
    // Prepare
    ddb.on(CreateTableCommand).rejects(new ResourceInUseException({ message: 'exists', ...metadata }));
    ddb.on(DescribeTableCommand).resolves(active);
    ddb.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED' } });
    // Act
    const outcome = await createTable(new DynamoDBClient({ region: 'us-east-1' }), 'rsr', { log: recordingLog() });
    // Assess
    expect(outcome).toBe('exists');
    expect(ddb.commandCalls(UpdateTimeToLiveCommand)).toHaveLength(0);
  });

  test('a failing CreateTable surfaces as StoreError', async () => {
    // Prepare
    const outage = new InternalServerError({ message: 'boom', ...metadata });
    ddb.on(CreateTableCommand).rejects(outage);
    // Act
    const error = await createTable(new DynamoDBClient({ region: 'us-east-1' }), 'rsr', { log: recordingLog() }).catch(
      (e: unknown) => e,
    );
    // Assess
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).cause).toBe(outage);
  });
});
