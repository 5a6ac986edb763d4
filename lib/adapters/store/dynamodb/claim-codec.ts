/**
 * Claims as items: a claim's notification is stored inline as JSON, or gzipped when large (bounded by the item
 * size limit), and decoded back into an AlertClaim.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Notification } from '../../../engine/alert';
import { StoreError } from '../../../engine/errors';
import type { AlertClaim, ClaimStatus, ThreadState } from '../../../engine/ports';

import {
  A,
  C,
  CLAIM_JSON_INLINE_LIMIT,
  CLAIM_NOTIFICATION_MAX,
  digest7,
  type Item,
  numberOf,
  str,
  stringOf,
} from './layout';

export const claimDigest = (alertId: string) => digest7(alertId, 8);

export function encodeNotification(notification: Notification): [string, AttributeValue] {
  const json = JSON.stringify(notification);
  if (Buffer.byteLength(json, 'utf8') <= CLAIM_JSON_INLINE_LIMIT) return [C.json, str(json)];
  const packed = gzipSync(json);
  if (packed.byteLength > CLAIM_NOTIFICATION_MAX) {
    throw new StoreError('claimAlert', {
      cause: new RangeError(
        `notification is ${packed.byteLength} bytes gzipped; a claim holds ${CLAIM_NOTIFICATION_MAX}`,
      ),
    });
  }
  return [C.gzip, { B: packed }];
}

export function claimOf(item: Item): AlertClaim {
  const packed = item[C.gzip]?.B;
  const json = packed ? gunzipSync(packed).toString('utf8') : stringOf(item[C.json]);
  const thread = item[C.thread]?.S;
  const threadOpen = item[C.threadOpen]?.BOOL;
  return {
    alertId: stringOf(item[C.alertId]),
    key: stringOf(item[A.pk]).slice(2),
    threadId: stringOf(item[C.threadId]),
    windowEndBucket: numberOf(item[C.windowEndBucket]) ?? 0,
    status: stringOf(item[C.status]) as ClaimStatus,
    notification: JSON.parse(json) as Notification,
    leaseUntil: numberOf(item[C.leaseUntil]) ?? 0,
    expiresAt: numberOf(item[A.exp]) ?? 0,
    ...(thread ? { thread: JSON.parse(thread) as ThreadState } : {}),
    ...(threadOpen !== undefined ? { threadOpen } : {}),
  };
}
