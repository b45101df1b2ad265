/**
 * The bare baseline's activities: one plain HTTP request per PSA write (fetch, no client
 * library, no database), against the same sandbox routes our connector writes to. A non-2xx
 * answer throws, so Temporal retries it like any failed activity.
 */
import { heartbeat } from '@temporalio/activity';
import { createLimiter } from '../../activities/psa/http/concurrency';
import { psaDateTime } from '../../activities/psa/http/psa-dates';
import type { BareWrite } from './messages';

export interface BareTargets {
  /** ConnectWise API base (`…/v4_6_release/apis/3.0`) and its two auth headers. */
  connectwise: { apiUrl: string; authorization: string; clientId: string };
  /** Autotask REST base (`…/ATServicesRest/V1.0`) and its three auth headers. */
  autotask: { apiUrl: string; username: string; secret: string; integrationCode: string };
}

export function createBareActivities(t: BareTargets) {
  const cwHeaders = { authorization: t.connectwise.authorization, clientId: t.connectwise.clientId, 'content-type': 'application/json' };
  const atHeaders = { UserName: t.autotask.username, Secret: t.autotask.secret, ApiIntegrationCode: t.autotask.integrationCode, 'content-type': 'application/json' };
  // Autotask refuses a 4th concurrent request per endpoint: the baseline keeps to 3, as our client does.
  const atSlot = createLimiter(3);

  async function send(url: string, init: RequestInit): Promise<unknown> {
    const res = await fetch(url, init);
    const text = await res.text();
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url} answered ${res.status}: ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : null;
  }

  /** Heartbeats every 2 s while `fn` runs, as our applyOperations does (the workflow sets a heartbeat timeout like ours). */
  async function beating<T>(fn: () => Promise<T>): Promise<T> {
    const beat = setInterval(() => heartbeat(), 2_000);
    try {
      return await fn();
    } finally {
      clearInterval(beat);
    }
  }

  return {
    postWrite: (w: BareWrite): Promise<void> => beating(() => postWrite(w)),
    patchCompanies: (ids: number[]): Promise<number> => beating(() => patchCompanies(ids)),
    readAdditions: (agreementIds: number[]): Promise<number> => beating(() => readAdditions(agreementIds)),
  };

  async function postWrite(w: BareWrite): Promise<void> {
    if (w.psa === 'connectwise') {
      await send(`${t.connectwise.apiUrl}/finance/agreements/${w.agreementId}/additions`, {
        method: 'POST',
        headers: cwHeaders,
        body: JSON.stringify({
          product: { id: w.catalogItemId },
          billCustomer: 'Billable',
          quantity: w.quantity,
          unitPrice: 22,
          unitCost: 18.7,
          effectiveDate: psaDateTime(w.effectiveDate),
          description: w.description,
        }),
      });
      return;
    }
    await atSlot(() =>
      send(`${t.autotask.apiUrl}/Contracts/${w.contractId}/ServiceAdjustments`, {
        method: 'POST',
        headers: atHeaders,
        body: JSON.stringify({ contractID: w.contractId, serviceID: w.serviceId, effectiveDate: psaDateTime(w.effectiveDate), unitChange: w.unitChange }),
      }),
    );
  }

  async function patchCompanies(ids: number[]): Promise<number> {
    for (const id of ids) {
      await send(`${t.connectwise.apiUrl}/company/companies/${id}`, {
        method: 'PATCH',
        headers: cwHeaders,
        body: JSON.stringify([{ op: 'replace', path: 'city', value: `Bare ${id}` }]),
      });
    }
    return ids.length;
  }

  async function readAdditions(agreementIds: number[]): Promise<number> {
    for (const id of agreementIds) await send(`${t.connectwise.apiUrl}/finance/agreements/${id}/additions?pageSize=1000`, { method: 'GET', headers: cwHeaders });
    return agreementIds.length;
  }
}

export type BareActivities = ReturnType<typeof createBareActivities>;
