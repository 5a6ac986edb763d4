/**
 * Builds DynamoDB update and condition expressions with generated attribute name and value placeholders.
 */
import type { AttributeValue, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';

import type { Item } from './layout';

/** Collects placeholders and clauses of one UpdateItem. */
export class Expression {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, AttributeValue> = {};
  private readonly nameIds = new Map<string, string>();
  private readonly sets: string[] = [];
  private readonly adds: string[] = [];
  private readonly removes: string[] = [];
  private readonly conditions: string[] = [];

  n(attribute: string): string {
    let id = this.nameIds.get(attribute);
    if (!id) {
      id = `#${this.nameIds.size}`;
      this.nameIds.set(attribute, id);
      this.names[id] = attribute;
    }
    return id;
  }
  v(value: AttributeValue): string {
    const id = `:${Object.keys(this.values).length}`;
    this.values[id] = value;
    return id;
  }
  set(attribute: string, value: AttributeValue): void {
    this.sets.push(`${this.n(attribute)} = ${this.v(value)}`);
  }
  add(attribute: string, value: AttributeValue): void {
    this.adds.push(`${this.n(attribute)} ${this.v(value)}`);
  }
  remove(attribute: string): void {
    this.removes.push(this.n(attribute));
  }
  when(condition: string): void {
    this.conditions.push(`(${condition})`);
  }
  /** `attribute` is absent or `op value` holds. */
  absentOr(attribute: string, op: string, value: AttributeValue): void {
    const a = this.n(attribute);
    this.when(`attribute_not_exists(${a}) OR ${a} ${op} ${this.v(value)}`);
  }
  input(
    tableName: string,
    key: Item,
  ): Pick<
    UpdateItemCommandInput,
    | 'TableName'
    | 'Key'
    | 'UpdateExpression'
    | 'ConditionExpression'
    | 'ExpressionAttributeNames'
    | 'ExpressionAttributeValues'
  > {
    const clauses = [
      this.sets.length ? `SET ${this.sets.join(', ')}` : '',
      this.adds.length ? `ADD ${this.adds.join(', ')}` : '',
      this.removes.length ? `REMOVE ${this.removes.join(', ')}` : '',
    ].filter(Boolean);
    return {
      TableName: tableName,
      Key: key,
      UpdateExpression: clauses.join(' '),
      ConditionExpression: this.conditions.length ? this.conditions.join(' AND ') : undefined,
      ExpressionAttributeNames: this.names,
      ExpressionAttributeValues: Object.keys(this.values).length ? this.values : undefined,
    };
  }
}
