/** The billing arithmetic the cost tests and benchmarks rely on (AWS "DynamoDB item sizes and formats"). */
import { itemSize, tableDefinition, writeUnits } from '../../lib/adapters/store/table';

describe('item size as AWS bills it', () => {
  test('counts attribute names and UTF-8 bytes of strings', () => {
    // Act
    const size = itemSize({ pk: { S: 'B#1#0' }, k: { S: 'é' } });
    // Assess
    expect(size).toBe(2 + 5 + 1 + 2);
  });

  test('counts numbers as one byte per two significant digits plus one', () => {
    // Act / Assess
    expect(itemSize({ n: { N: '1' } })).toBe(1 + 2);
    expect(itemSize({ n: { N: '1795694400' } })).toBe(1 + 5); // trailing zeros trimmed: 8 digits
    expect(itemSize({ n: { N: '1795694401' } })).toBe(1 + 6);
  });

  test('counts raw bytes of binaries and sets, and 3 + 1 per element for maps', () => {
    // Act
    const size = itemSize({
      ids: { BS: [new Uint8Array(6), new Uint8Array(6)] },
      v: { SS: ['abc', 'de'] },
      id: { M: { a: { S: 'xy' } } },
    });
    // Assess
    expect(size).toBe(3 + 12 + (1 + 5) + (2 + 3 + 1 + 1 + 2));
  });

  test('bills one unit per started KB of the larger of before and after, at least one', () => {
    // Act / Assess
    expect(writeUnits(0, 10)).toBe(1);
    expect(writeUnits(1024, 900)).toBe(1);
    expect(writeUnits(1025, 10)).toBe(2);
    expect(writeUnits(10, 2049)).toBe(3);
  });

  test('tableDefinition hands out a copy the caller may change', () => {
    // Prepare
    const first = tableDefinition('a');
    first.KeySchema?.pop();
    // Act
    const second = tableDefinition('b');
    // Assess
    expect(second.KeySchema).toHaveLength(2);
    expect(second.TableName).toBe('b');
  });
});
