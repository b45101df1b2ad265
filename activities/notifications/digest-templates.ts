/**
 * The two §8 mails (seed 004 "Notification Preferences") and the renewals mail
 * (docs/renewals.md), in HTML and plain text. Subjects are exactly §8's with the PSA's name;
 * every value is HTML-escaped (customer and plan names come from the platform and may hold
 * anything).
 */
import type { PsaKind, ReconciliationStatus, RenewalRow } from '../store';
import type { DriftRow } from '../sync/drift.activities';

export const psaDisplayName = (psa: PsaKind): string => (psa === 'connectwise' ? 'ConnectWise' : 'Autotask');

export interface ServiceMappingRow {
  customer: string;
  plan: string;
  subscriptionId: string;
  /** Mapping status: Unmapped / Failed. */
  status: string;
  error?: string;
}

export interface ReconciliationRow {
  customer: string;
  plan: string;
  subscriptionId: string;
  provider: string;
  month: string;
  status: ReconciliationStatus;
  previous?: ReconciliationStatus;
  reason?: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function htmlTable(headers: string[], rows: string[][]): string {
  const th = headers.map((h) => `<th style="text-align:left;padding:4px 8px;border-bottom:1px solid #ccc">${escapeHtml(h)}</th>`).join('');
  const trs = rows.map((r) => `<tr>${r.map((c) => `<td style="padding:4px 8px">${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table style="border-collapse:collapse">\n<thead><tr>${th}</tr></thead>\n<tbody>\n${trs}\n</tbody>\n</table>`;
}

function textTable(headers: string[], rows: string[][]): string {
  return [headers.join(' | '), ...rows.map((r) => r.join(' | '))].join('\n');
}

const page = (title: string, body: string) =>
  `<!doctype html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="font-family:sans-serif">\n${body}\n</body></html>`;

/** "Action Needed for Service Mapping in {PSA}": unmapped subscriptions, and mapped ones whose sync failed. */
export function renderServiceMappingDigest(input: { psa: PsaKind; connectionName: string; unmapped: ServiceMappingRow[]; failed: ServiceMappingRow[]; drifted?: DriftRow[] }): RenderedMail {
  const psa = psaDisplayName(input.psa);
  const subject = `Action Needed for Service Mapping in ${psa}`;
  const intro = `There are subscriptions on the ${input.connectionName} connection which require action to successfully sync with ${psa}. Any subscriptions that remain in this status will not sync changes to ${psa}, which may impact billing and invoicing. Please refer to the tables below for details.`;
  const outro = 'You can update subscription mapping and manage your notification preferences with the psa-connector admin tools (mappings, notifications).';
  const headers = ['Customer Name', 'Plan Name', 'Subscription ID', 'Status'];
  const cells = (r: ServiceMappingRow) => [r.customer, r.plan, r.subscriptionId, r.status];
  const failedHeaders = [...headers, 'Error'];
  const failedCells = (r: ServiceMappingRow) => [...cells(r), r.error ?? ''];
  const sections: Array<{ title: string; headers: string[]; rows: string[][] }> = [];
  if (input.unmapped.length) sections.push({ title: 'Unmapped Subscriptions', headers, rows: input.unmapped.map(cells) });
  if (input.failed.length) sections.push({ title: 'Mapped Subscriptions with Sync Failures', headers: failedHeaders, rows: input.failed.map(failedCells) });
  // Lines changed in the PSA by hand (docs/adopt-and-drift.md): restore or accept each.
  const shown = (v: string | number | null) => (v === null ? '(none)' : String(v));
  if (input.drifted?.length) {
    sections.push({
      title: `Lines Changed by Hand in ${psa} (restore or accept with psa-connector services restore / accept-drift)`,
      headers: ['Subscription ID', 'Line', 'PSA Line ID', 'Field', 'Expected', 'Found'],
      rows: input.drifted.map((d) => [d.subscriptionId, d.lineKey, String(d.psaId), d.field, shown(d.expected), shown(d.found)]),
    });
  }
  const text = ['Hello,', '', intro, '', ...sections.flatMap((s) => [`${s.title} (${s.rows.length})`, textTable(s.headers, s.rows), '']), outro, '', 'Thank you!'].join('\n');
  const html = page(
    subject,
    [`<p>Hello,</p>`, `<p>${escapeHtml(intro)}</p>`, ...sections.map((s) => `<h3>${escapeHtml(s.title)} (${s.rows.length})</h3>\n${htmlTable(s.headers, s.rows)}`), `<p>${escapeHtml(outro)}</p>`, '<p>Thank you!</p>'].join('\n'),
  );
  return { subject, text, html };
}

/** "Billing Reconciliation Status Synced in {PSA}": reconciliation statuses changed since the last mail. */
export function renderReconciliationDigest(input: { psa: PsaKind; connectionName: string; changes: ReconciliationRow[] }): RenderedMail {
  const psa = psaDisplayName(input.psa);
  const subject = `Billing Reconciliation Status Synced in ${psa}`;
  const intro = `The billing reconciliation status of these subscriptions on the ${input.connectionName} connection changed since our last message.`;
  const headers = ['Customer Name', 'Plan Name', 'Subscription ID', 'Provider', 'Billing Month', 'Status', 'Previous Status', 'Reason'];
  const rows = input.changes.map((r) => [r.customer, r.plan, r.subscriptionId, r.provider, r.month, r.status, r.previous ?? '(new)', r.reason ?? '']);
  const outro = 'Review pending reconciliations with `psa-connector` (accept or reject) and manage your notification preferences with the admin tools.';
  const text = ['Hello,', '', intro, '', textTable(headers, rows), '', outro, '', 'Thank you!'].join('\n');
  const html = page(subject, [`<p>Hello,</p>`, `<p>${escapeHtml(intro)}</p>`, htmlTable(headers, rows), `<p>${escapeHtml(outro)}</p>`, '<p>Thank you!</p>'].join('\n'));
  return { subject, text, html };
}

/** "Renewals Due in {PSA}": one section, "Renewals due in the next N days", soonest first. */
export function renderRenewalsDigest(input: { psa: PsaKind; connectionName: string; days: number; through: string; rows: RenewalRow[]; more: number }): RenderedMail {
  const psa = psaDisplayName(input.psa);
  const subject = `Renewals Due in ${psa}`;
  const title = `Renewals due in the next ${input.days} days`;
  const intro = `These subscriptions on the ${input.connectionName} connection reach the end of their commitment term by ${input.through}. Licences are committed for the whole next term once a subscription renews: lower a quantity on the platform before its commitment end, and the decrease is billed in ${psa} from the renewal date.`;
  const headers = ['Customer Name', 'Plan Name', 'Subscription ID', 'Quantity', 'Term', 'Commitment End', 'Auto-Renew', 'Scheduled Decrease'];
  const rows = input.rows.map((r) => [
    r.customerName ?? r.customerId ?? '',
    r.productName ?? r.productId,
    r.subscriptionId,
    String(r.quantity),
    r.term,
    r.commitmentEnd ?? '',
    r.autoRenew ? 'Yes' : 'No',
    r.scheduledDecrease ? `${r.scheduledDecrease.from} → ${r.scheduledDecrease.to} from ${r.scheduledDecrease.date}` : '',
  ]);
  const count = `${title} (${input.rows.length + input.more})`;
  const more = input.more > 0 ? `… and ${input.more} more: \`psa-connector renewals due\` lists them all.` : '';
  const outro = 'List renewals any day with `psa-connector renewals due` and manage your notification preferences with the admin tools.';
  const text = ['Hello,', '', intro, '', count, textTable(headers, rows), ...(more ? [more] : []), '', outro, '', 'Thank you!'].join('\n');
  const html = page(
    subject,
    [`<p>Hello,</p>`, `<p>${escapeHtml(intro)}</p>`, `<h3>${escapeHtml(count)}</h3>\n${htmlTable(headers, rows)}`, ...(more ? [`<p>${escapeHtml(more)}</p>`] : []), `<p>${escapeHtml(outro)}</p>`, '<p>Thank you!</p>'].join('\n'),
  );
  return { subject, text, html };
}
