/**
 * Multi-account / multi-Region forwarding: infra/org/forwarder.yml (plain CloudFormation, deployed as a StackSet in
 * member accounts and Regions) and the receiving side in infra/detector.yml (central bus and its policy). Both are
 * read as YAML with the CloudFormation short tags; no packaging is needed.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub and framework variable text is compared literally
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  activeResources,
  evaluateConditions,
  type Json,
  type JsonObject,
  parseCloudFormationYaml,
  type Resource,
  referencedIds,
  resolveIfs,
} from '../support/cloudformation';
import { cloudTrailEnvelope, type EventPattern, matchesPattern } from '../support/event-pattern';
import { REPO_ROOT } from './package-service';

const read = (...path: string[]) => readFileSync(join(REPO_ROOT, ...path), 'utf8');
const forwarderText = read('infra', 'org', 'forwarder.yml');
const forwarder = parseCloudFormationYaml(forwarderText);
const detector = parseCloudFormationYaml(read('infra', 'detector.yml'));
const detectorTamper = parseCloudFormationYaml(read('infra', 'tamper.yml'));

function props(resource: Resource | undefined): JsonObject {
  if (resource === undefined) throw new Error('missing resource');
  return resource.Properties ?? {};
}

function statements(document: Json | undefined): JsonObject[] {
  const list = (document as JsonObject | undefined)?.Statement;
  if (list === undefined) return [];
  return (Array.isArray(list) ? list : [list]) as JsonObject[];
}

const PARAMETERS = { CentralBusArn: 'arn:aws:events:us-east-1:111122223333:event-bus/rapid-secret-retrieval-prod' };

function forwarderWith(includeFailedCalls: boolean, more: Record<string, string> = {}): Record<string, Resource> {
  return activeResources(
    forwarder,
    evaluateConditions(forwarder, {}, { ...PARAMETERS, IncludeFailedCalls: String(includeFailedCalls), ...more }),
  );
}

/** The four calls CloudTrail records only in a trail's home Region (and for an organization trail, its management account). */
const TRAIL_TAMPER_CALLS = ['StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors'];

describe('forwarder template', () => {
  test('is plain CloudFormation: no framework variables, every parameter declared', () => {
    // Assess
    expect(forwarderText).not.toMatch(/\$\{(param|self|sls|opt|file|env):/);
    expect(forwarder.AWSTemplateFormatVersion).toBe('2010-09-09');
    expect(Object.keys(forwarder.Parameters ?? {}).sort()).toEqual([
      'CentralBusArn',
      'ForwardSecretReads',
      'ForwardTrailTamper',
      'IncludeFailedCalls',
      'RuleName',
    ]);
  });

  test("forwards with the read-only state and exactly the detector's pattern, in both failed-call settings", () => {
    const detectorRule = (detector.Resources.SecretReadRule as Resource).Properties as JsonObject;
    for (const includeFailed of [false, true]) {
      // Prepare
      const rule = props(forwarderWith(includeFailed).ForwarderRule);
      const expected = resolveIfs(detectorRule.EventPattern as Json, { IncludeFailedCalls: includeFailed });
      // Assess
      expect(rule.State).toBe('ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS');
      expect(rule.EventBusName).toBeUndefined();
      expect(rule.EventPattern).toEqual(expected);
    }
    // The unresolved forms are identical too (same condition name and branches).
    expect(props(forwarder.Resources.ForwarderRule).EventPattern).toEqual(detectorRule.EventPattern);
  });

  test('matches the Stratus Red Team reads and not ListSecrets', () => {
    // Prepare
    const pattern = props(forwarderWith(false).ForwarderRule).EventPattern as unknown as EventPattern;
    const records = JSON.parse(
      read('test', 'fixtures', 'stratus-red-team', 'secretsmanager-retrieve-secrets.json'),
    ) as Record<string, unknown>[];
    // Act
    const matched = records.filter((r) => matchesPattern(pattern, cloudTrailEnvelope(r)));
    // Assess
    expect(matched).toHaveLength(20);
    expect(matched.every((r) => r.eventName === 'GetSecretValue')).toBe(true);
  });

  test('targets the central bus through a role that can only put events on that bus', () => {
    const resources = forwarderWith(false);
    const [target] = props(resources.ForwarderRule).Targets as JsonObject[];
    const role = props(resources.ForwarderRole);
    const policies = role.Policies as JsonObject[];
    // Assess
    expect(target).toMatchObject({
      Arn: { Ref: 'CentralBusArn' },
      RoleArn: { 'Fn::GetAtt': ['ForwarderRole', 'Arn'] },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['ForwarderDeadLetterQueue', 'Arn'] } },
    });
    expect(policies).toHaveLength(1);
    expect(statements(policies[0]?.PolicyDocument)).toEqual([
      { Sid: 'CentralBus', Effect: 'Allow', Action: 'events:PutEvents', Resource: { Ref: 'CentralBusArn' } },
    ]);
    expect(statements(role.AssumeRolePolicyDocument)).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnEquals: {
            'aws:SourceArn': [
              { 'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/${RuleName}' },
              {
                'Fn::Sub':
                  'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/${RuleName}-trail-tamper',
              },
            ],
          },
        },
      },
    ]);
  });

  test('lets only the forwarding rule write to its dead-letter queue', () => {
    // Assess
    expect(statements(props(forwarderWith(false).ForwarderDeadLetterQueuePolicy).PolicyDocument)).toEqual([
      {
        Sid: 'ForwarderRuleDeadLetters',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': ['ForwarderDeadLetterQueue', 'Arn'] },
        Condition: { ArnEquals: { 'aws:SourceArn': [{ 'Fn::GetAtt': ['ForwarderRule', 'Arn'] }] } },
      },
    ]);
  });

  test('forwards trail tamper calls only with ForwardTrailTamper=true, through the same role and queue', () => {
    // Prepare
    const off = forwarderWith(false);
    const on = forwarderWith(false, { ForwardTrailTamper: 'true' });
    const only = forwarderWith(false, { ForwardTrailTamper: 'true', ForwardSecretReads: 'false' });
    const rule = props(on.TrailTamperRule);
    const [target] = rule.Targets as JsonObject[];
    const pattern = rule.EventPattern as unknown as EventPattern;
    const call = (eventName: string, eventSource = 'cloudtrail.amazonaws.com') =>
      cloudTrailEnvelope({ eventSource, eventName, requestParameters: { name: 'org-trail' } });
    // Assess
    expect(off.TrailTamperRule).toBeUndefined();
    expect(only.ForwarderRule).toBeUndefined();
    expect(rule).toMatchObject({ Name: { 'Fn::Sub': '${RuleName}-trail-tamper' }, State: 'ENABLED' });
    expect(target).toMatchObject({
      Arn: { Ref: 'CentralBusArn' },
      RoleArn: { 'Fn::GetAtt': ['ForwarderRole', 'Arn'] },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['ForwarderDeadLetterQueue', 'Arn'] } },
    });
    expect(TRAIL_TAMPER_CALLS.filter((n) => matchesPattern(pattern, call(n)))).toEqual(TRAIL_TAMPER_CALLS);
    expect(matchesPattern(pattern, call('PutAdvancedEventSelectors'))).toBe(false);
    expect(matchesPattern(pattern, call('StopLogging', 'events.amazonaws.com'))).toBe(false);
    expect(statements(props(only.ForwarderDeadLetterQueuePolicy).PolicyDocument)[0]?.Condition as JsonObject).toEqual({
      ArnEquals: { 'aws:SourceArn': [{ 'Fn::GetAtt': ['TrailTamperRule', 'Arn'] }] },
    });
  });

  test("the detector's central trail rule matches what the forwarder sends", () => {
    const central = (detectorTamper.Resources.TamperTrailCentralRule as Resource).Properties as JsonObject;
    const sent = props(forwarderWith(false, { ForwardTrailTamper: 'true' }).TrailTamperRule);
    // Assess
    expect(detectorTamper.Resources.TamperTrailCentralRule?.Condition).toBe('CentralBusEnabled');
    expect(central.EventBusName).toEqual({ Ref: 'CentralBus' });
    expect(central.EventPattern).toEqual(sent.EventPattern);
  });

  test('a rule name leaves room for the trail tamper suffix within the 64 characters EventBridge allows', () => {
    const pattern = new RegExp(String((forwarder.Parameters?.RuleName as JsonObject | undefined)?.AllowedPattern));
    // Assess
    expect(pattern.test('x'.repeat(64 - '-trail-tamper'.length))).toBe(true);
    expect(pattern.test('x'.repeat(65 - '-trail-tamper'.length))).toBe(false);
  });

  test('accepts a central bus ARN and refuses anything else', () => {
    const pattern = new RegExp(String((forwarder.Parameters?.CentralBusArn as JsonObject | undefined)?.AllowedPattern));
    // Assess
    expect(pattern.test(PARAMETERS.CentralBusArn)).toBe(true);
    expect(pattern.test('arn:aws-us-gov:events:us-gov-west-1:111122223333:event-bus/rsr')).toBe(true);
    expect(pattern.test('arn:aws:events:us-east-1:111122223333:rule/rsr')).toBe(false);
    expect(pattern.test('arn:aws:sqs:us-east-1:111122223333:queue')).toBe(false);
  });

  test('every reference resolves to a resource, a parameter or a pseudo parameter', () => {
    const known = new Set([
      ...Object.keys(forwarder.Resources),
      ...Object.keys(forwarder.Parameters ?? {}),
      'AWS::AccountId',
      'AWS::Partition',
      'AWS::Region',
    ]);
    for (const includeFailed of [false, true]) {
      for (const [id, resource] of Object.entries(forwarderWith(includeFailed, { ForwardTrailTamper: 'true' }))) {
        const unresolved = [...referencedIds(resource as unknown as Json)].filter((ref) => !known.has(ref));
        // Assess
        expect({ id, unresolved }).toEqual({ id, unresolved: [] });
      }
    }
  });

  test('grants no wildcard action and no Resource "*"', () => {
    const text = JSON.stringify(forwarder.Resources);
    // Assess
    expect(text).not.toMatch(/"Action":"\*"|:\*"/);
    expect(text).not.toMatch(/"Resource":"\*"/);
    expect(text).not.toMatch(/secretsmanager:/i);
  });
});

describe('central bus policy (infra/detector.yml)', () => {
  const policy = (detector.Resources.CentralBusPolicy as Resource).Properties as JsonObject;

  test('with an organization id, allows PutEvents from any principal of the organization only', () => {
    // Act
    const statement = resolveIfs(policy.Statement as Json, { HasOrgId: true });
    // Assess
    expect(statement).toEqual({
      Effect: 'Allow',
      Principal: '*',
      Action: 'events:PutEvents',
      Resource: { 'Fn::GetAtt': ['CentralBus', 'Arn'] },
      Condition: { StringEquals: { 'aws:PrincipalOrgID': '${param:orgId}' } },
    });
  });

  test('without one, allows this account only', () => {
    // Act
    const statement = resolveIfs(policy.Statement as Json, { HasOrgId: false }) as JsonObject;
    // Assess
    expect(statement.Principal).toEqual({ AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } });
    expect(statement.Condition).toBeUndefined();
  });

  test('the detector listens on the central bus with the same pattern as on the default bus', () => {
    const central = (detector.Resources.CentralSecretReadRule as Resource).Properties as JsonObject;
    const main = (detector.Resources.SecretReadRule as Resource).Properties as JsonObject;
    // Assess
    expect(central.EventBusName).toEqual({ Ref: 'CentralBus' });
    expect(central.EventPattern).toEqual(main.EventPattern);
    expect(central.State).toBe(main.State);
  });
});
