/**
 * Mapping a customer or a product releases the subscriptions waiting for it (README "Events
 * before mapping"; docs/mapping.md "Waiting subscriptions"): each of its subscriptions on the connection
 * that has no placement yet is placed automatically when nothing is ambiguous — customer and
 * product mapped, the company holding exactly one agreement/contract — exactly as a report
 * would place it; the others stay waiting, each with why.
 */
import { automaticPlacement } from '../../activities/subscription-records';
import type { MappingServiceDeps } from './mapping-service.deps';
import { fanOut, type FanOutReport } from './subscription-fan-out';

export type ReleaseScope = { customerId: string } | { productId: string };

export async function releaseWaiting(deps: MappingServiceDeps, connectionId: string, scope: ReleaseScope): Promise<FanOutReport> {
  const { store } = deps;
  return fanOut(
    // Platform subscriptions, not mapping documents: placing one changes its mapping, never this list.
    async (skip, limit) => (await store.platform.listSubscriptions({ connectionId, ...scope, limit, skip })).items,
    (s) => s.id,
    async (s) => {
      if ((await store.mappings.subscriptions.get(connectionId, s.id))?.linked) return 'already-mapped';
      const found = await automaticPlacement({ store, gateways: deps.gateways, ...(deps.now ? { now: () => deps.now!().getTime() } : {}) }, connectionId, s);
      if ('waiting' in found) return { waiting: found.waiting };
      try {
        return (await deps.platform.place(connectionId, s.id, found.placement)).outcome;
      } catch (e) {
        const message = `could not hand the automatic mapping to the subscription workflow: ${e instanceof Error ? e.message : String(e)}`;
        await store.mappings.subscriptions.markFailed(connectionId, s.id, message);
        throw new Error(message, { cause: e });
      }
    },
  );
}
