/**
 * Bucket-page planning (lib/adapters/store/dynamodb/plan.ts) without a server: the conditional UpdateItem planned for
 * one event from a container's view of its bucket. The contract suite proves the store's behaviour end to end on
 * dynalite; these tests pin the plan's own rules so that a change to them is seen without a DynamoDB round trip.
 */
import fc from 'fast-check';
import { A } from '../../lib/adapters/store/dynamodb/layout';
import {
  type BucketView,
  EMPTY_PAGE,
  NEW_BUCKET,
  NOTHING_FROZEN,
  planRecord,
  quietRepeat,
} from '../../lib/adapters/store/dynamodb/plan';
import { CONTEXT_VALUES_LIMIT, type CountedEvent } from '../../lib/engine/ports';

const ID = Buffer.from('01020304050607', 'hex');
const KEY = { pk: { S: 'B#1#0' }, sk: { S: 'k' } };

function event(overrides: Partial<CountedEvent> = {}, context: Partial<CountedEvent['context']> = {}): CountedEvent {
  return {
    key: 'AIDAEXAMPLE',
    bucket: 1,
    eventId: 'e-1',
    values: [],
    expiresAt: 10_000,
    context: {
      eventTime: 60_000,
      eventName: 'GetSecretValue',
      sourceIp: '203.0.113.10',
      userAgent: 'aws-cli/2',
      region: 'us-east-1',
      secretIds: ['prod/db'],
      accountId: '111122223333',
      userArn: 'arn:aws:iam::111122223333:user/alice',
      userName: 'alice',
      identityType: 'IAMUser',
      accessKeyId: 'AKIAEXAMPLE',
      ...context,
    },
    ...overrides,
  };
}

/** The plan as the SDK input, with placeholders resolved to attribute names for readable assertions. */
function planned(e: CountedEvent, view: BucketView, saturation = 200, pageBytes = 1024) {
  const plan = planRecord(e, ID, view, saturation, pageBytes);
  const input = plan.expression.input('t', KEY);
  const names = input.ExpressionAttributeNames ?? {};
  const resolve = (s: string | undefined) => (s ?? '').replace(/#\w+/g, (p) => names[p] ?? p);
  return { plan, input, update: resolve(input.UpdateExpression), condition: resolve(input.ConditionExpression) };
}

const view = (open: Partial<typeof EMPTY_PAGE>, frozen: Partial<typeof NOTHING_FROZEN> = {}, page = 1): BucketView => ({
  page,
  frozen: { ...NOTHING_FROZEN, ...frozen },
  open: { ...EMPTY_PAGE, ...open },
});

describe('planRecord', () => {
  test('the first event of a bucket: dedup, not saturated, not frozen; counts the id and sets first/last seen', () => {
    const { update, condition } = planned(event(), NEW_BUCKET);
    expect(condition).toContain(`NOT contains(${A.ids},`);
    expect(condition).toContain(`attribute_not_exists(${A.saturated})`);
    expect(condition).toContain(`attribute_not_exists(${A.frozen})`);
    expect(update).toMatch(new RegExp(`ADD .*${A.events} .*${A.ids} `));
    expect(update).toContain(`${A.firstSeen} =`);
    expect(update).toContain(`${A.lastSeen} =`);
    expect(update).not.toContain(`${A.saturated} =`);
  });

  test('the event that reaches the saturation point marks the bucket saturated and drops its ids', () => {
    const { update } = planned(event(), view({ events: 1 }), 2);
    expect(update).toContain(`${A.saturated} =`);
    expect(update).toMatch(new RegExp(`REMOVE ${A.ids}`));
  });

  test('an event older than the page’s last seen does not move lastSeen (and its condition does not assert it)', () => {
    const { update } = planned(
      event({}, { eventTime: 60_000 }),
      view({ events: 3, firstSeen: 50_000, lastSeen: 90_000 }),
    );
    expect(update).not.toContain(`${A.lastSeen} =`);
    expect(update).not.toContain(`${A.firstSeen} =`);
  });

  test('a page about to pass one write unit is frozen by this write', () => {
    const { update } = planned(event(), view({ events: 5, size: 1000 }), 200, 1024);
    expect(update).toContain(`${A.frozen} =`);
  });

  test('beyond CONTEXT_VALUES_LIMIT distinct values in the bucket, new values count under OTHER', () => {
    const full = {
      e: CONTEXT_VALUES_LIMIT,
      i: CONTEXT_VALUES_LIMIT,
      u: CONTEXT_VALUES_LIMIT,
      r: CONTEXT_VALUES_LIMIT,
      s: CONTEXT_VALUES_LIMIT,
    };
    const { update, plan } = planned(event(), view({ events: 1 }, { distinct: full }, 2));
    expect(update).toContain('ce~');
    expect(plan.spill.size).toBe(0);
  });

  test('quietRepeat: a values-saturating bucket full of ids answers repeats of known tokens without a write', () => {
    const e = event({ values: ['tok'], saturateOn: 'values' });
    expect(quietRepeat(e, view({ events: 2, values: new Set(['tok']) }), 2)).toBe(true);
    expect(
      quietRepeat(event({ values: ['new'], saturateOn: 'values' }), view({ events: 2, values: new Set(['tok']) }), 2),
    ).toBe(false);
    expect(quietRepeat(event({ values: ['tok'] }), view({ events: 2, values: new Set(['tok']) }), 2)).toBe(false);
  });

  test('every placeholder the plan uses is declared, for any event and view', () => {
    fc.assert(
      fc.property(
        fc.record({
          events: fc.nat(30),
          size: fc.nat(2000),
          lastSeen: fc.option(fc.integer({ min: 0, max: 200_000 }), { nil: undefined }),
          firstSeen: fc.option(fc.integer({ min: 0, max: 200_000 }), { nil: undefined }),
          time: fc.integer({ min: 0, max: 200_000 }),
          tokens: fc.array(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 4 }),
          ip: fc.string({ maxLength: 40 }),
          saturation: fc.integer({ min: 1, max: 40 }),
        }),
        (r) => {
          const e = event(
            { values: r.tokens, saturateOn: r.tokens.length ? 'values' : 'events' },
            { eventTime: r.time, sourceIp: r.ip },
          );
          const { input } = planned(
            e,
            view({ events: r.events, size: r.size, lastSeen: r.lastSeen, firstSeen: r.firstSeen }),
            r.saturation,
          );
          const text = `${input.UpdateExpression} ${input.ConditionExpression ?? ''}`;
          for (const p of text.match(/#\w+/g) ?? []) expect(input.ExpressionAttributeNames).toHaveProperty([p]);
          for (const p of text.match(/:\w+/g) ?? []) expect(input.ExpressionAttributeValues).toHaveProperty([p]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
