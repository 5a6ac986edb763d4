/**
 * Measures write units the way AWS bills them, which dynalite's ConsumedCapacity does not: every UpdateItem (also
 * one whose condition fails) costs one unit per started KB of the larger of the item before and after, plus the
 * writes it causes in the `pending` index. The meter remembers each item as the last write left it (from ALL_NEW, or
 * by reading it through a second, unmetered client), so attach it before the table's first write and use it only
 * where writes to one item do not overlap.
 */
import {
  type AttributeValue,
  DynamoDBClient,
  GetItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { ATTR, itemSize, writeUnits } from '../../lib/adapters/store/table';

type Item = Record<string, AttributeValue>;

export interface CapacityReport {
  /** Every request sent, by command name (GetItem, UpdateItem, Query, ...). */
  readonly requests: Record<string, number>;
  /** Table write units (item size rule). */
  tableWriteUnits: number;
  /** Index write units: an entry put or deleted costs 1 (KEYS_ONLY entries are far below 1 KB); a key change 2. */
  indexWriteUnits: number;
  conditionalFailures: number;
  /** Largest item size seen after a write, in bytes. */
  largestItem: number;
  readonly itemSizes: number[];
}

function indexWrites(before: Item | undefined, after: Item | undefined): number {
  const key = (item: Item | undefined) =>
    item?.[ATTR.pending] ? `${item[ATTR.pending]?.S}|${item[ATTR.leaseUntil]?.N}` : undefined;
  const [a, b] = [key(before), key(after)];
  if (a === b) return 0;
  return a !== undefined && b !== undefined ? 2 : 1;
}

/** Attaches a meter to `client`; returns the live report. */
export function meter(client: DynamoDBClient): CapacityReport {
  const raw = new DynamoDBClient({ maxAttempts: 1 });
  const report: CapacityReport = {
    requests: {},
    tableWriteUnits: 0,
    indexWriteUnits: 0,
    conditionalFailures: 0,
    largestItem: 0,
    itemSizes: [],
  };
  const read = async (input: UpdateItemCommandInput): Promise<Item | undefined> =>
    (await raw.send(new GetItemCommand({ TableName: input.TableName, Key: input.Key, ConsistentRead: true }))).Item;
  /** Item key -> the item as the last metered write left it (absent: never written). */
  const items = new Map<string, Item>();
  const idOf = (input: UpdateItemCommandInput) => `${input.TableName}|${JSON.stringify(input.Key)}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      report.requests[name] = (report.requests[name] ?? 0) + 1;
      if (name !== 'UpdateItem') return next(args);
      const input = args.input as UpdateItemCommandInput;
      const before = items.get(idOf(input));
      try {
        const result = await next(args);
        const returned = (result.output as { Attributes?: Item }).Attributes;
        const after = input.ReturnValues === 'ALL_NEW' && returned ? returned : await read(input);
        if (after) items.set(idOf(input), after);
        const size = itemSize(after);
        report.itemSizes.push(size);
        report.largestItem = Math.max(report.largestItem, size);
        report.tableWriteUnits += writeUnits(itemSize(before), size);
        report.indexWriteUnits += indexWrites(before, after);
        return result;
      } catch (error) {
        if ((error as { name?: string }).name === 'ConditionalCheckFailedException') {
          report.conditionalFailures++;
          report.tableWriteUnits += writeUnits(itemSize(before), 0);
        }
        throw error;
      }
    },
    { step: 'initialize', name: 'capacityMeter' },
  );
  return report;
}
