/**
 * Least privilege and encryption, read from the CloudFormation sources (infra/*.yml, infra/org/forwarder.yml,
 * serverless.yml and infra/iam-actions.json), every Fn::If branch included. test/deploy/template.test.ts checks the
 * same rules on the compiled template (it runs `serverless package`, which takes a while); this file keeps the rules
 * fast and also covers the member-account forwarder stack.
 *
 * Rules: no statement allows `*`, `service:*` or any `secretsmanager:` action; no NotAction / NotResource /
 * NotPrincipal; `Resource: "*"` only in KMS key policies (where AWS requires it and it means "this key"); `Principal:
 * "*"` only when scoped to the organization; the table, topic and queues are encrypted.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Json, type JsonObject, parseCloudFormationYaml, type Template } from '../support/cloudformation';

const ROOT = join(__dirname, '..', '..');
const INFRA = join(ROOT, 'infra');
const actions = JSON.parse(readFileSync(join(INFRA, 'iam-actions.json'), 'utf8')) as Record<
  string,
  Record<string, string[]> | string
>;

const templates: [string, Template][] = [
  ...readdirSync(INFRA)
    .filter((f) => f.endsWith('.yml'))
    .map((f): [string, Template] => [`infra/${f}`, parseCloudFormationYaml(readFileSync(join(INFRA, f), 'utf8'))]),
  ['infra/org/forwarder.yml', parseCloudFormationYaml(readFileSync(join(INFRA, 'org', 'forwarder.yml'), 'utf8'))],
];

const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: Json | undefined): Json[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Statements of a policy node, taking both branches of every Fn::If and dropping AWS::NoValue. */
function statementsIn(node: Json | undefined): JsonObject[] {
  if (node === undefined || node === null) return [];
  if (Array.isArray(node)) return node.flatMap(statementsIn);
  if (!isObject(node)) return [];
  if (node.Ref === 'AWS::NoValue') return [];
  const branches = node['Fn::If'];
  if (Array.isArray(branches)) return [...statementsIn(branches[1]), ...statementsIn(branches[2])];
  return [node];
}

/** `${file(./infra/iam-actions.json):role.Sid}` -> the listed actions; anything else as written. */
function actionsOf(value: Json | undefined): string[] {
  return list(value).flatMap((a) => {
    if (typeof a !== 'string') return [JSON.stringify(a)];
    const m = /^\$\{file\(\.\/infra\/iam-actions\.json\):(\w+)\.(\w+)\}$/.exec(a);
    if (!m) return [a];
    const role = actions[m[1] as string];
    const found = typeof role === 'object' ? role[m[2] as string] : undefined;
    if (found === undefined) throw new Error(`${a} names no list in iam-actions.json`);
    return found;
  });
}

interface Located {
  readonly where: string;
  readonly type: string;
  readonly statement: JsonObject;
}

function policyStatements(): Located[] {
  const out: Located[] = [];
  for (const [file, template] of templates) {
    for (const [id, resource] of Object.entries(template.Resources ?? {})) {
      const p = (resource.Properties ?? {}) as JsonObject;
      const docs: [string, Json | undefined][] = [
        ['KeyPolicy', isObject(p.KeyPolicy) ? p.KeyPolicy.Statement : undefined],
        ['PolicyDocument', isObject(p.PolicyDocument) ? p.PolicyDocument.Statement : undefined],
        [
          'AssumeRolePolicyDocument',
          isObject(p.AssumeRolePolicyDocument) ? p.AssumeRolePolicyDocument.Statement : undefined,
        ],
        ['Statement', p.Statement],
        ...list(p.Policies).map((x): [string, Json | undefined] => [
          'Policies',
          isObject(x) && isObject(x.PolicyDocument) ? x.PolicyDocument.Statement : undefined,
        ]),
      ];
      for (const [kind, doc] of docs) {
        for (const statement of statementsIn(doc))
          out.push({ where: `${file} ${id}.${kind}`, type: resource.Type, statement });
      }
    }
  }
  return out;
}

describe('IAM in the CloudFormation sources', () => {
  const all = policyStatements();

  it('finds the policies to check (roles, key, topic, queues, bus, forwarder)', () => {
    // Assess
    expect(all.length).toBeGreaterThan(15);
    const types = new Set(all.map((s) => s.type));
    for (const t of ['AWS::IAM::Role', 'AWS::KMS::Key', 'AWS::SNS::TopicPolicy', 'AWS::SQS::QueuePolicy']) {
      expect(types).toContain(t);
    }
  });

  it('grants no wildcard action and no secretsmanager action anywhere', () => {
    for (const { where, type, statement } of all) {
      // Assess
      expect({ where, effect: statement.Effect }).toEqual({ where, effect: 'Allow' });
      for (const action of actionsOf(statement.Action)) {
        expect({ where, action, secretsmanager: action.toLowerCase().startsWith('secretsmanager:') }).toEqual({
          where,
          action,
          secretsmanager: false,
        });
        expect({ where, action, service: /^[a-z0-9-]+:[A-Za-z0-9*]+$/.test(action) }).toEqual({
          where,
          action,
          service: true,
        });
        // The only pattern: the documented GenerateDataKey variants for alarm/EventBridge publishers, in the key policy.
        const wildcard = action.includes('*');
        if (wildcard)
          expect({ where, action, type }).toEqual({ where, action: 'kms:GenerateDataKey*', type: 'AWS::KMS::Key' });
      }
      expect({ where, not: [statement.NotAction, statement.NotResource, statement.NotPrincipal] }).toEqual({
        where,
        not: [undefined, undefined, undefined],
      });
    }
  });

  it('uses Resource "*" only in KMS key policies, and Principal "*" only scoped to the organization', () => {
    for (const { where, type, statement } of all) {
      // Assess
      if (list(statement.Resource).includes('*')) expect({ where, type }).toEqual({ where, type: 'AWS::KMS::Key' });
      if (statement.Principal === '*' || (isObject(statement.Principal) && statement.Principal.AWS === '*')) {
        expect(JSON.stringify(statement.Condition)).toContain('aws:PrincipalOrgID');
      }
    }
  });

  it('keeps infra/iam-actions.json itself free of wildcards and secretsmanager actions', () => {
    // Prepare
    const listed = Object.entries(actions)
      .filter(([k]) => !k.startsWith('$'))
      .flatMap(([, byStatement]) => Object.values(byStatement as Record<string, string[]>).flat());
    // Assess
    expect(listed.length).toBeGreaterThan(10);
    for (const action of listed) {
      expect(action).toMatch(/^[a-z0-9-]+:[A-Z][A-Za-z]+$/);
      expect(action.startsWith('secretsmanager:')).toBe(false);
    }
  });

  it('gives every function its own role, and the framework no role statements of its own', () => {
    // Prepare
    const service = parseCloudFormationYaml(readFileSync(join(ROOT, 'serverless.yml'), 'utf8')) as unknown as {
      provider: Record<string, Json>;
      functions: Record<string, Record<string, Json>>;
    };
    // Assess
    expect(service.provider.iam).toBeUndefined();
    expect(service.provider.iamRoleStatements).toBeUndefined();
    for (const [name, fn] of Object.entries(service.functions))
      expect({ name, role: typeof fn.role }).toEqual({ name, role: 'string' });
  });
});

describe('encryption at rest in the CloudFormation sources', () => {
  const resources = templates.flatMap(([file, t]) =>
    Object.entries(t.Resources ?? {}).map(([id, r]) => ({
      where: `${file} ${id}`,
      type: r.Type,
      p: (r.Properties ?? {}) as JsonObject,
    })),
  );

  it('encrypts the window table (KMS) and the alert topic with its own rotating key', () => {
    // Prepare
    const table = resources.find((r) => r.type === 'AWS::DynamoDB::Table');
    const topic = resources.find((r) => r.type === 'AWS::SNS::Topic');
    const key = resources.find((r) => r.type === 'AWS::KMS::Key');
    // Assess
    expect(table?.p.SSESpecification).toEqual({ SSEEnabled: true });
    expect(topic?.p.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': ['AlertTopicKey', 'Arn'] });
    expect(key?.p.EnableKeyRotation).toBe(true);
  });

  it('encrypts every queue (dead-letter, on-failure, buffer, forwarder)', () => {
    // Prepare
    const queues = resources.filter((r) => r.type === 'AWS::SQS::Queue');
    // Assess
    expect(queues.length).toBeGreaterThanOrEqual(4);
    for (const q of queues) {
      expect({
        where: q.where,
        encrypted: q.p.SqsManagedSseEnabled === true || q.p.KmsMasterKeyId !== undefined,
      }).toEqual({
        where: q.where,
        encrypted: true,
      });
    }
  });
});
