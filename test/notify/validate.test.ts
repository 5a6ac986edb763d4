import { buildSnsMessage, renderChatbot } from '../../lib/adapters/notify/render';
import {
  type SnsMessageLike,
  validateChatbotNotification,
  validateSnsMessage,
} from '../../lib/adapters/notify/validate';
import { stratusAlert } from './fixtures';

function valid(): SnsMessageLike {
  return buildSnsMessage(stratusAlert(), { httpsFormat: 'chatbot' });
}

/** The same message with its JSON document edited. */
function withDocument(edit: (doc: Record<string, unknown>) => void): SnsMessageLike {
  const msg = valid();
  const doc = JSON.parse(msg.Message as string) as Record<string, unknown>;
  edit(doc);
  return { ...msg, Message: JSON.stringify(doc) };
}

function withChatbot(edit: (chat: Record<string, unknown>) => void): SnsMessageLike {
  return withDocument((doc) => {
    const chat = JSON.parse(doc.https as string) as Record<string, unknown>;
    edit(chat);
    doc.https = JSON.stringify(chat);
  });
}

describe('validateSnsMessage', () => {
  it('accepts what buildSnsMessage produces', () => {
    expect(validateSnsMessage(valid())).toEqual([]);
  });

  it.each<[string, SnsMessageLike, RegExp]>([
    ['a Message that is not JSON', { ...valid(), Message: 'hello' }, /not JSON/],
    ['a JSON array', { ...valid(), Message: '[]' }, /JSON object/],
    ['an empty Message', { ...valid(), Message: '' }, /non-empty/],
    ['another MessageStructure', { ...valid(), MessageStructure: 'text' }, /MessageStructure/],
    ['no default', withDocument((d) => delete d.default), /"default"/],
    ['an unknown protocol key', withDocument((d) => (d.slack = 'x')), /unknown protocol key "slack"/],
    ['a nested object instead of a string', withDocument((d) => (d.sqs = { a: 1 })), /Message.sqs must be a string/],
    ['an https body that is not JSON', withDocument((d) => (d.https = 'plain')), /https is not JSON/],
    ['an sqs body without alertId', withDocument((d) => (d.sqs = '{"kind":"alert"}')), /sqs: alert JSON/],
    ['a subject with a line break', { ...valid(), Subject: 'a\nb' }, /printable ASCII/],
    ['a non-ASCII subject', { ...valid(), Subject: 'Alerte été' }, /printable ASCII/],
    ['a 100-character subject', { ...valid(), Subject: 'x'.repeat(100) }, /100 characters/],
    [
      'an empty attribute value',
      { ...valid(), MessageAttributes: { identity: { DataType: 'String', StringValue: '' } } },
      /non-empty/,
    ],
    [
      'an attribute SQS would refuse',
      { ...valid(), MessageAttributes: { identity: { DataType: 'String', StringValue: 'a\u0000' } } },
      /SQS refuses/,
    ],
    [
      'a reserved attribute name',
      { ...valid(), MessageAttributes: { 'AWS.x': { DataType: 'String', StringValue: 'a' } } },
      /not allowed/,
    ],
    [
      'more than 10 attributes',
      {
        ...valid(),
        MessageAttributes: Object.fromEntries(
          Array.from({ length: 11 }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: 'x' }]),
        ),
      },
      /at most 10/,
    ],
    ['a message over 256 KiB', withDocument((d) => (d.email = 'x'.repeat(262_144))), /limit 262144/],
    ['a noncharacter SQS refuses', withDocument((d) => (d.email = 'x\uffff')), /SQS refuses/],
  ])('reports %s', (_name, msg, problem) => {
    // Act
    const problems = validateSnsMessage(msg);
    // Assess
    expect(problems.some((p) => problem.test(p))).toBe(true);
  });

  it.each<[string, (c: Record<string, unknown>) => void, RegExp]>([
    ['a wrong version', (c) => (c.version = '2.0'), /version/],
    ['a wrong source', (c) => (c.source = 'aws.secretsmanager'), /source/],
    ['no description', (c) => delete (c.content as Record<string, unknown>).description, /description/],
    ['another textType', (c) => ((c.content as Record<string, unknown>).textType = 'html'), /textType/],
    ['non-string next steps', (c) => ((c.content as Record<string, unknown>).nextSteps = [1]), /nextSteps/],
    [
      'a numeric context value',
      (c) => ((c.metadata as Record<string, unknown>).additionalContext = { n: 1 }),
      /additionalContext/,
    ],
  ])('reports a chatbot notification with %s', (_name, edit, problem) => {
    // Act
    const problems = validateSnsMessage(withChatbot(edit));
    // Assess
    expect(problems.some((p) => problem.test(p))).toBe(true);
  });

  it('checks the https body as alert JSON in alert-json format', () => {
    // Prepare
    const chatbotStyle = valid();
    // Act
    const problems = validateSnsMessage(chatbotStyle, { httpsFormat: 'alert-json' });
    // Assess
    expect(problems).toEqual(['https: alert JSON has no "kind"']);
  });
});

describe('validateChatbotNotification', () => {
  it('accepts the rendered notification and rejects non-objects', () => {
    expect(validateChatbotNotification(renderChatbot(stratusAlert()))).toEqual([]);
    expect(validateChatbotNotification('x')).toEqual(['https: chatbot notification is not a JSON object']);
  });
});
