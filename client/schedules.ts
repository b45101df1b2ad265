/**
 * The Temporal Schedules the configuration implies, and bringing the server in line with them.
 *
 *   global-sync/<connectionId>                  daily 00:00 UTC while autoSync is on (§2)
 *   reconciliation/<connectionId>/<provider>    monthly at the provider's cutover start day 00:00 UTC (§6)
 *   notification-digest/<connectionId>          daily at NOTIFICATION_DIGEST_HOUR_UTC while notifications are on (§8)
 *   seat-count/<connectionId>                   daily at SEAT_COUNT_HOUR_UTC (§7; a no-op without usage counts)
 *
 * `applySchedules` is idempotent: describe → update when different (a fingerprint of what we
 * want rides in the schedule's note), else create; schedules of ours no longer implied are
 * deleted — "ours" meaning the id starts with the configured prefix and one of the kinds above,
 * so schedules made by anyone else are never touched. Every schedule skips a run while the
 * previous one is still going (overlap SKIP) and catches up missed runs within a window.
 *
 * Temporal appends `-<scheduled time>` to the action's workflow id, so runs are named e.g.
 * `global-sync/cw-main-2026-03-01T00:00:00Z`.
 */
import { ScheduleNotFoundError, type Client, type ScheduleDescription, type ScheduleOptions } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { contentHash } from '../activities/store/content-hash';
import type { Connection } from '../activities/store';
import { DEFAULT_CUTOVER_CALENDAR, type CutoverEntry } from '../domain/cutover-calendar';
import { reconciliationScheduleSpecs } from '../workflows/reconciliation-schedules';

export const SCHEDULE_KINDS = ['global-sync', 'reconciliation', 'notification-digest', 'seat-count'] as const;
export type ScheduleKind = (typeof SCHEDULE_KINDS)[number];

export interface ScheduleSettings {
  taskQueue: string;
  /** Hour (UTC) of the daily §8 digest; default 7. */
  digestHourUtc?: number;
  /** Hour (UTC) of the daily §7 seat-count job; default 1 (after the platform's midnight counts). */
  seatCountHourUtc?: number;
  /** §6 provider table (default: the spec's). */
  cutoverCalendar?: readonly CutoverEntry[];
  /** Prepended to every schedule id: keeps deployments (and test runs) sharing a namespace apart. */
  idPrefix?: string;
}

/** One schedule the configuration implies. */
export interface PlannedSchedule {
  scheduleId: string;
  kind: ScheduleKind;
  connectionId: string;
  provider?: string;
  description: string;
  /** UTC calendar: day of month (monthly) or every day, at hour:00. */
  at: { dayOfMonth?: number; hour: number };
  workflowType: string;
  /** The run's workflow id before Temporal's `-<time>` suffix. */
  workflowId: string;
  args: unknown[];
  catchupWindow: Duration;
}

export interface ApplyResult {
  created: string[];
  updated: string[];
  unchanged: string[];
  deleted: string[];
}

export interface ScheduleRow {
  scheduleId: string;
  kind: ScheduleKind;
  note: string;
  paused: boolean;
  /** Next run times, ISO-8601 UTC. */
  nextRuns: string[];
  recentRuns: Array<{ scheduledAt: string; workflowId: string }>;
}

/** `<prefix><kind>/<connectionId>`: the id of a connection's daily schedule. */
const dailyScheduleId = (kind: Exclude<ScheduleKind, 'reconciliation'>, connectionId: string, prefix: string) => `${prefix}${kind}/${connectionId}`;

/** Every schedule the connections imply, sorted by id. */
export function plannedSchedules(connections: readonly Connection[], settings: ScheduleSettings): PlannedSchedule[] {
  const prefix = settings.idPrefix ?? '';
  const digestHour = settings.digestHourUtc ?? 7;
  const seatHour = settings.seatCountHourUtc ?? 1;
  const calendar = settings.cutoverCalendar ?? DEFAULT_CUTOVER_CALENDAR;
  const out: PlannedSchedule[] = [];
  for (const c of connections) {
    if (c.rules.autoSync) {
      // §2: "the scheduled global sync runs daily at 00:00 UTC"; off by default.
      const id = dailyScheduleId('global-sync', c.id, prefix);
      out.push({
        scheduleId: id, kind: 'global-sync', connectionId: c.id,
        description: `Global sync of ${c.name} (${c.id}) daily at 00:00 UTC`,
        at: { hour: 0 }, workflowType: 'globalSyncWorkflow', workflowId: id,
        args: [{ connectionId: c.id, scheduled: true }], catchupWindow: '12 hours',
      });
    }
    // §6: one per provider, at its cutover start day (the reconciliation workflow's own specs).
    for (const r of reconciliationScheduleSpecs(c.id, calendar)) {
      const day = r.spec.calendars[0]!.dayOfMonth;
      out.push({
        scheduleId: `${prefix}${r.scheduleId}`, kind: 'reconciliation', connectionId: c.id, provider: r.provider,
        description: `Billing reconciliation of ${r.provider} for ${c.name} (${c.id}) monthly on day ${day} at 00:00 UTC`,
        at: { dayOfMonth: day, hour: 0 }, workflowType: r.action.workflowType, workflowId: `${prefix}${r.action.workflowId}`,
        args: r.action.args, catchupWindow: r.policies.catchupWindow,
      });
    }
    const n = c.notifications;
    if (n.enabled && n.recipients.length > 0 && Object.values(n.templates).some(Boolean)) {
      // §8: daily, opt-in; the workflow itself still checks the toggles on the day.
      const id = dailyScheduleId('notification-digest', c.id, prefix);
      out.push({
        scheduleId: id, kind: 'notification-digest', connectionId: c.id,
        description: `Notification digest of ${c.name} (${c.id}) daily at ${String(digestHour).padStart(2, '0')}:00 UTC`,
        at: { hour: digestHour }, workflowType: 'notificationDigestWorkflow', workflowId: id,
        args: [{ connectionId: c.id }], catchupWindow: '12 hours',
      });
    }
    {
      const id = dailyScheduleId('seat-count', c.id, prefix);
      out.push({
        scheduleId: id, kind: 'seat-count', connectionId: c.id,
        description: `Seat-count (high-water mark) update of ${c.name} (${c.id}) daily at ${String(seatHour).padStart(2, '0')}:00 UTC`,
        at: { hour: seatHour }, workflowType: 'seatCountWorkflow', workflowId: id,
        args: [{ connectionId: c.id }], catchupWindow: '12 hours',
      });
    }
  }
  return out.sort((a, b) => (a.scheduleId < b.scheduleId ? -1 : 1));
}

function fingerprint(p: PlannedSchedule, taskQueue: string): string {
  return contentHash({ at: p.at, workflowType: p.workflowType, workflowId: p.workflowId, args: p.args, catchupWindow: p.catchupWindow, taskQueue, description: p.description }).slice(0, 16);
}
const noteOf = (p: PlannedSchedule, fp: string) => `Managed by psa-connector (schedules apply): ${p.description} [${fp}]`;
const fingerprintOfNote = (note: string | undefined) => /\[([0-9a-f]{16})\]$/.exec(note ?? '')?.[1];

function scheduleOptions(p: PlannedSchedule, taskQueue: string): Omit<ScheduleOptions, 'scheduleId' | 'memo'> {
  return {
    spec: { calendars: [{ ...(p.at.dayOfMonth ? { dayOfMonth: p.at.dayOfMonth } : {}), hour: p.at.hour, minute: 0, second: 0, comment: p.description }], timezone: 'UTC' },
    action: {
      type: 'startWorkflow',
      workflowType: p.workflowType,
      workflowId: p.workflowId,
      taskQueue,
      args: p.args,
      staticSummary: p.description,
      memo: { connectionId: p.connectionId, kind: p.kind, ...(p.provider ? { provider: p.provider } : {}) },
    },
    policies: { overlap: 'SKIP', catchupWindow: p.catchupWindow, pauseOnFailure: false },
  };
}

/** The kind of one of our schedule ids under `prefix`, or null when the id is not ours. */
export function scheduleKindOf(scheduleId: string, prefix = ''): ScheduleKind | null {
  if (!scheduleId.startsWith(prefix)) return null;
  const rest = scheduleId.slice(prefix.length);
  return SCHEDULE_KINDS.find((k) => rest.startsWith(`${k}/`)) ?? null;
}

async function describeOrNull(client: Client, id: string): Promise<ScheduleDescription | null> {
  try {
    return await client.schedule.getHandle(id).describe();
  } catch (e) {
    if (e instanceof ScheduleNotFoundError) return null;
    throw e;
  }
}

/** Our schedule ids on the server (visibility: eventually consistent, fine for clean-up). */
async function ourScheduleIds(client: Client, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const s of client.schedule.list()) if (scheduleKindOf(s.scheduleId, prefix)) ids.push(s.scheduleId);
  return ids.sort();
}

/** Creates or updates each planned schedule, then deletes `stale` ids no longer planned (gone already is fine). */
async function reconcile(client: Client, planned: readonly PlannedSchedule[], stale: readonly string[], taskQueue: string): Promise<ApplyResult> {
  const result: ApplyResult = { created: [], updated: [], unchanged: [], deleted: [] };
  for (const p of planned) {
    const fp = fingerprint(p, taskQueue);
    const options = scheduleOptions(p, taskQueue);
    const current = await describeOrNull(client, p.scheduleId);
    if (!current) {
      await client.schedule.create({ scheduleId: p.scheduleId, ...options, memo: { managedBy: 'psa-connector' }, state: { note: noteOf(p, fp) } });
      result.created.push(p.scheduleId);
    } else if (fingerprintOfNote(current.state.note) !== fp) {
      // An admin's pause survives an update.
      await client.schedule.getHandle(p.scheduleId).update(() => ({ ...options, state: { paused: current.state.paused, note: noteOf(p, fp) } }));
      result.updated.push(p.scheduleId);
    } else {
      result.unchanged.push(p.scheduleId);
    }
  }
  const wanted = new Set(planned.map((p) => p.scheduleId));
  for (const id of [...new Set(stale)].sort()) {
    if (wanted.has(id)) continue;
    try {
      await client.schedule.getHandle(id).delete();
      result.deleted.push(id);
    } catch (e) {
      if (!(e instanceof ScheduleNotFoundError)) throw e; // deleted meanwhile (or never made): the goal is reached
    }
  }
  return result;
}

/** Creates, updates and deletes schedules until the server holds exactly the planned ones. */
export async function applySchedules(client: Client, connections: readonly Connection[], settings: ScheduleSettings): Promise<ApplyResult> {
  return reconcile(client, plannedSchedules(connections, settings), await ourScheduleIds(client, settings.idPrefix ?? ''), settings.taskQueue);
}

/** The connection a schedule id of ours belongs to (connection ids never hold a `/`). */
function connectionOfSchedule(scheduleId: string, prefix: string): string | null {
  const kind = scheduleKindOf(scheduleId, prefix);
  return kind ? (scheduleId.slice(prefix.length + kind.length + 1).split('/')[0] ?? null) : null;
}

/**
 * One connection's schedules brought in line with `connection` — or, for null (a deleted
 * connection), all of them removed: what adding, changing and deleting a connection does by
 * itself (docs/operations.md "Schedules"). Idempotent. The ids it may have made are tried
 * directly (the schedule list is eventually consistent, so a schedule made a moment ago may not
 * be listed yet), the list adds any older ones (a provider since dropped from the calendar).
 */
export async function applyConnectionSchedules(client: Client, connectionId: string, connection: Connection | null, settings: ScheduleSettings): Promise<ApplyResult> {
  if (connection && connection.id !== connectionId) throw new Error(`connection ${connection.id} given for ${connectionId}`);
  const prefix = settings.idPrefix ?? '';
  const planned = connection ? plannedSchedules([connection], settings) : [];
  const calendar = settings.cutoverCalendar ?? DEFAULT_CUTOVER_CALENDAR;
  const possible = [
    ...(['global-sync', 'notification-digest', 'seat-count'] as const).map((kind) => dailyScheduleId(kind, connectionId, prefix)),
    ...reconciliationScheduleSpecs(connectionId, calendar).map((r) => `${prefix}${r.scheduleId}`),
  ];
  const listed = (await ourScheduleIds(client, prefix)).filter((id) => connectionOfSchedule(id, prefix) === connectionId);
  return reconcile(client, planned, [...possible, ...listed], settings.taskQueue);
}

/** Our schedules with their next and recent runs. `connectionId` narrows to one connection. */
export async function listSchedules(client: Client, opts: { idPrefix?: string; connectionId?: string } = {}): Promise<ScheduleRow[]> {
  const prefix = opts.idPrefix ?? '';
  const rows: ScheduleRow[] = [];
  for (const id of await ourScheduleIds(client, prefix)) {
    const kind = scheduleKindOf(id, prefix)!;
    if (opts.connectionId && connectionOfSchedule(id, prefix) !== opts.connectionId) continue;
    const d = await describeOrNull(client, id);
    if (!d) continue;
    rows.push({
      scheduleId: id,
      kind,
      note: d.state.note ?? '',
      paused: d.state.paused,
      nextRuns: d.info.nextActionTimes.map((t) => t.toISOString()),
      recentRuns: d.info.recentActions.map((a) => ({ scheduledAt: a.scheduledAt.toISOString(), workflowId: a.action.workflow.workflowId })),
    });
  }
  return rows;
}
