/**
 * The ingest handler's SQS path on envelopes Lambda itself would never build (a record without a text body): the
 * message is skipped under a named reason and the rest of the batch is counted; the handler does not throw.
 */

import { MemoryWindowStore } from '../../lib/adapters/store/memory';
import { Detector, type IngestStats } from '../../lib/engine/detector';
import { handleIngest } from '../../lib/usecases/ingest';
import { baseRecord, envelope, expectBalanced, recordingTelemetry, sqsRecord } from '../support/hostile';
import { testConfig } from '../support/records';

const detector = new Detector(testConfig());

describe('malformed SQS envelopes', () => {
  it('skips a message without a body, or with a body that is not text, instead of throwing', async () => {
    // Prepare: Lambda always sends text bodies; a hand-made or corrupted event may not.
    const good = sqsRecord('good', JSON.stringify(envelope(baseRecord())));
    const records = [
      { ...sqsRecord('no-body', ''), body: undefined },
      { ...sqsRecord('null-body', ''), body: null },
      { ...sqsRecord('object-body', ''), body: { detail: {} } },
      good,
    ];
    const { telemetry, lastStats } = recordingTelemetry();
    // Act
    const result = await handleIngest({ Records: records }, { detector, store: new MemoryWindowStore(), telemetry }, 0);
    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    const stats = lastStats() as IngestStats;
    expectBalanced(stats);
    expect(stats.counted).toBe(1);
    expect(stats.received).toBe(4);
    expect(stats.skipped['unparsable-json'] + stats.skipped['not-an-object']).toBe(3);
  });
});
