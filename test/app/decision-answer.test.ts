/**
 * contracts/reconciliation.ts `decisionAnswer`: the API's answer to accept / reject / retry says
 * when an item ended failed (docs/reconciliation.md), the same rule the CLI's exit code 3 uses.
 */
import { decisionAnswer } from '../../contracts/reconciliation';

describe('decisionAnswer', () => {
  it('says items-failed and lists them when an item ended failed or failed-review', () => {
    const items = [
      { subscriptionId: 'sub-a', status: 'reconciled' as const, reason: 'accepted and posted' },
      { subscriptionId: 'sub-c', status: 'failed' as const, reason: 'ConnectWise refused the post: already invoiced' },
      { subscriptionId: 'sub-d', status: 'failed-review' as const, reason: 'the PSA could not be read' },
    ];
    expect(decisionAnswer({ items })).toEqual({ items, outcome: 'items-failed', failed: [items[1], items[2]] });
  });

  it('says done when every item went through', () => {
    const items = [{ subscriptionId: 'sub-a', status: 'reconciled' as const, reason: 'accepted and posted' }];
    expect(decisionAnswer({ items })).toEqual({ items, outcome: 'done', failed: [] });
  });
});
