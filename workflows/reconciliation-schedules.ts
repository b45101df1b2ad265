/**
 * The Temporal Schedules that start reconciliation (docs/billing-rules.md §6): one per (connection,
 * provider), firing at the provider's cutover start day, 00:00 UTC, for the month before. Pure:
 * `schedules apply` turns these specs into client.schedule.create/update calls.
 */
import { DEFAULT_CUTOVER_CALENDAR, type CutoverEntry } from '../domain/cutover-calendar';
import { providerSlug } from '../contracts/reconciliation';
import type { ScheduledReconciliationInput } from './reconciliation.workflow';

export interface ReconciliationScheduleSpec {
  scheduleId: string;
  provider: string;
  /** `client.schedule.create({ spec })`: the cutover start day of every month, 00:00 UTC. */
  spec: { calendars: Array<{ dayOfMonth: number; hour: number; minute: number }>; timezone: 'UTC' };
  action: {
    type: 'startWorkflow';
    workflowType: 'scheduledReconciliationWorkflow';
    /** Schedules append the fire time; the month's run itself gets `reconciliation/<conn>/<provider>/<YYYY-MM>`. */
    workflowId: string;
    args: [ScheduledReconciliationInput];
  };
  /** A late fire (server down at 00:00) still runs within the day; two fires never overlap. */
  policies: { overlap: 'SKIP'; catchupWindow: '1 day' };
}

export function reconciliationScheduleSpecs(connectionId: string, calendar: readonly CutoverEntry[] = DEFAULT_CUTOVER_CALENDAR): ReconciliationScheduleSpec[] {
  return calendar.map((entry) => {
    const id = `reconciliation/${connectionId}/${providerSlug(entry.provider)}`;
    return {
      scheduleId: id,
      provider: entry.provider,
      spec: { calendars: [{ dayOfMonth: entry.cutoverStartDay, hour: 0, minute: 0 }], timezone: 'UTC' },
      action: {
        type: 'startWorkflow',
        workflowType: 'scheduledReconciliationWorkflow',
        workflowId: id,
        args: [{ connectionId, provider: entry.provider, cutover: { cutoverStartDay: entry.cutoverStartDay, cutoverEndDay: entry.cutoverEndDay } }],
      },
      policies: { overlap: 'SKIP', catchupWindow: '1 day' },
    };
  });
}
