/**
 * Reading CloudFormation templates in tests: YAML with the short intrinsic tags (!Ref, !Sub, !If, ...), condition
 * evaluation, choosing Fn::If branches, and listing the references a resource makes. Enough to check offline what
 * CloudFormation would otherwise only reject at deploy time (dangling references, conditional resources referenced
 * outside their condition, dependency cycles); no AWS call is made.
 */
import { type CollectionTag, parse, type ScalarTag, type YAMLMap, type YAMLSeq } from 'yaml';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Template {
  readonly AWSTemplateFormatVersion?: string;
  readonly Parameters?: Record<string, JsonObject>;
  readonly Conditions?: Record<string, Json>;
  readonly Resources: Record<string, Resource>;
  readonly Outputs?: Record<string, JsonObject>;
}

export interface Resource {
  readonly Type: string;
  readonly Condition?: string;
  readonly DependsOn?: string | string[];
  readonly Properties?: JsonObject;
  readonly [key: string]: Json | undefined;
}

const INTRINSICS = [
  'And',
  'Base64',
  'Cidr',
  'Equals',
  'FindInMap',
  'GetAtt',
  'GetAZs',
  'If',
  'ImportValue',
  'Join',
  'Not',
  'Or',
  'Select',
  'Split',
  'Sub',
];

function fnName(name: string): string {
  return `Fn::${name}`;
}

/** Tags for the short forms (`!Ref x` -> {Ref: x}, `!GetAtt a.b` -> {Fn::GetAtt: [a, b]}, ...). */
function cloudFormationTags(): (ScalarTag | CollectionTag)[] {
  const tags: (ScalarTag | CollectionTag)[] = [];
  const key = (name: string) => (name === 'Ref' || name === 'Condition' ? name : fnName(name));
  for (const name of [...INTRINSICS, 'Ref', 'Condition']) {
    tags.push({
      tag: `!${name}`,
      resolve: (value: string) => {
        if (name === 'GetAtt') {
          const dot = value.indexOf('.');
          return { [key(name)]: [value.slice(0, dot), value.slice(dot + 1)] };
        }
        return { [key(name)]: value };
      },
    });
    for (const collection of ['seq', 'map'] as const) {
      tags.push({
        tag: `!${name}`,
        collection,
        resolve: (value: YAMLMap.Parsed | YAMLSeq.Parsed) => ({ [key(name)]: value.toJSON() }),
      });
    }
  }
  return tags;
}

/** Parses a CloudFormation YAML template (short tags become their long forms). */
export function parseCloudFormationYaml(text: string): Template {
  return parse(text, { customTags: cloudFormationTags(), merge: true }) as Template;
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Evaluates every condition of `template`. `overrides` replaces named conditions (e.g. `IngestQueueEnabled: true`) so
 * that a test can look at each shape of the template; other conditions are computed from their definitions.
 */
export function evaluateConditions(
  template: Template,
  overrides: Readonly<Record<string, boolean>> = {},
  parameters: Readonly<Record<string, string>> = {},
): Record<string, boolean> {
  const definitions = template.Conditions ?? {};
  const done: Record<string, boolean> = {};
  const visiting = new Set<string>();

  const value = (node: Json): Json => {
    if (isObject(node) && typeof node.Ref === 'string') {
      if (node.Ref in parameters) return parameters[node.Ref] as string;
      const declared = template.Parameters?.[node.Ref];
      if (declared && 'Default' in declared) return declared.Default as Json;
      throw new Error(`no value for parameter ${node.Ref}`);
    }
    return node;
  };

  const evaluate = (node: Json): boolean => {
    if (!isObject(node)) throw new Error(`not a condition: ${JSON.stringify(node)}`);
    if (typeof node.Condition === 'string') return condition(node.Condition);
    const [op, args] = Object.entries(node)[0] ?? [];
    if (!Array.isArray(args)) throw new Error(`bad condition ${JSON.stringify(node)}`);
    switch (op) {
      case 'Fn::Equals':
        return JSON.stringify(value(args[0] as Json)) === JSON.stringify(value(args[1] as Json));
      case 'Fn::Not':
        return !evaluate(args[0] as Json);
      case 'Fn::And':
        return args.every((a) => evaluate(a));
      case 'Fn::Or':
        return args.some((a) => evaluate(a));
      default:
        throw new Error(`unsupported condition function ${String(op)}`);
    }
  };

  const condition = (name: string): boolean => {
    const known = overrides[name] ?? done[name];
    if (known !== undefined) return known;
    const definition = definitions[name];
    if (definition === undefined) throw new Error(`unknown condition ${name}`);
    if (visiting.has(name)) throw new Error(`condition cycle at ${name}`);
    visiting.add(name);
    done[name] = evaluate(definition);
    visiting.delete(name);
    return done[name];
  };

  for (const name of Object.keys(definitions)) condition(name);
  return { ...done, ...overrides };
}

const NO_VALUE = Symbol('NoValue');

/** Replaces each Fn::If by its chosen branch and drops `Ref: AWS::NoValue` (as CloudFormation does). */
export function resolveIfs<T extends Json>(node: T, conditions: Readonly<Record<string, boolean>>): T {
  const walk = (n: Json): Json | typeof NO_VALUE => {
    if (Array.isArray(n)) {
      return n.map(walk).filter((x): x is Json => x !== NO_VALUE);
    }
    if (!isObject(n)) return n;
    if (n.Ref === 'AWS::NoValue') return NO_VALUE;
    const branches = n['Fn::If'];
    if (Array.isArray(branches) && Object.keys(n).length === 1) {
      const [name, whenTrue, whenFalse] = branches as [string, Json, Json];
      const chosen = conditions[name];
      if (chosen === undefined) throw new Error(`Fn::If on unknown condition ${name}`);
      return walk(chosen ? whenTrue : whenFalse);
    }
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(n)) {
      const w = walk(v);
      if (w !== NO_VALUE) out[k] = w;
    }
    return out;
  };
  const result = walk(node);
  if (result === NO_VALUE) throw new Error('the whole node resolved to AWS::NoValue');
  return result as T;
}

/** The resources CloudFormation would create under `conditions`, with every Fn::If resolved. */
export function activeResources(
  template: Template,
  conditions: Readonly<Record<string, boolean>>,
): Record<string, Resource> {
  const out: Record<string, Resource> = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Condition !== undefined) {
      const on = conditions[resource.Condition];
      if (on === undefined) throw new Error(`${id}: unknown condition ${resource.Condition}`);
      if (!on) continue;
    }
    out[id] = resolveIfs(resource as unknown as JsonObject, conditions) as unknown as Resource;
  }
  return out;
}

/** Logical ids a node refers to through Ref, Fn::GetAtt and ${Name} / ${Name.Attr} in Fn::Sub. */
export function referencedIds(node: Json): Set<string> {
  const ids = new Set<string>();
  const walk = (n: Json): void => {
    if (Array.isArray(n)) {
      n.forEach(walk);
      return;
    }
    if (!isObject(n)) return;
    for (const [k, v] of Object.entries(n)) {
      if (k === 'Ref' && typeof v === 'string') ids.add(v);
      else if (k === 'Fn::GetAtt' && Array.isArray(v) && typeof v[0] === 'string') ids.add(v[0]);
      else if (k === 'Fn::GetAtt' && typeof v === 'string') ids.add(v.split('.')[0] as string);
      else if (k === 'Fn::Sub') {
        const [text, vars] = Array.isArray(v) ? [v[0], v[1]] : [v, undefined];
        const local = isObject(vars as Json) ? Object.keys(vars as JsonObject) : [];
        for (const m of String(text).matchAll(/\$\{([^!}][^}]*)\}/g)) {
          const name = (m[1] as string).split('.')[0] as string;
          if (!local.includes(name)) ids.add(name);
        }
        if (vars !== undefined) walk(vars as Json);
      } else walk(v);
    }
  };
  walk(node);
  return ids;
}

/** Looks up a `$.a.b` JSON path (dot notation only, as EventBridge input transformers use it). */
export function jsonPath(event: unknown, path: string): unknown {
  if (!path.startsWith('$.')) throw new Error(`unsupported path ${path}`);
  let cursor: unknown = event;
  for (const part of path.slice(2).split('.')) {
    if (typeof cursor !== 'object' || cursor === null) return undefined;
    cursor = (cursor as Record<string, unknown>)[part];
  }
  return cursor;
}
