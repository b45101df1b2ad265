/**
 * The daily §8 digest of one connection (schedule `notification-digest/<connectionId>`, or
 * `notifications send-now`): each template (§8's two, and renewals due, docs/renewals.md) is sent when it is enabled, something
 * changed since its last mail, and it has not gone out yet this UTC day. The activity holds
 * the per-day claim, so overlapping runs never mail twice.
 */
import { patched, proxyActivities, upsertMemo } from '@temporalio/workflow';
import type { DigestOutcome, NotificationActivities } from '../activities/notifications/notification.activities';
import type { NotificationTemplate } from '../activities/store/connection-schemas';

const { sendDigest } = proxyActivities<NotificationActivities>({
  startToCloseTimeout: '2 minutes',
  // SMTP hiccups retry; the claim is released on every failed send, so a retry may send.
  retry: { initialInterval: '10 seconds', maximumInterval: '5 minutes', maximumAttempts: 10 },
});

/** §8's two templates in the order the seed lists them, then renewals due (activities/store NOTIFICATION_TEMPLATES). */
const TEMPLATES: readonly NotificationTemplate[] = ['serviceMapping', 'billingReconciliation', 'renewals'];

export interface NotificationDigestInput {
  connectionId: string;
  /** UTC day the digest is for (default: the day the run started). */
  day?: string;
}

export async function notificationDigestWorkflow(input: NotificationDigestInput): Promise<DigestOutcome[]> {
  // Workflow time is deterministic: the run's start, stable on replay.
  const day = input.day ?? new Date().toISOString().slice(0, 10);
  const outcomes: DigestOutcome[] = [];
  // Runs started before the renewals mail existed replay with §8's two templates alone.
  const templates = patched('renewals-digest') ? TEMPLATES : TEMPLATES.slice(0, 2);
  for (const template of templates) outcomes.push(await sendDigest({ connectionId: input.connectionId, template, day }));
  upsertMemo({ summary: `Digest of ${input.connectionId} for ${day}: ${outcomes.map((o) => `${o.template} ${o.sent ? 'sent' : `not sent (${o.reason})`}`).join('; ')}` });
  return outcomes;
}
