/**
 * The subscription workflow's side of `takeOverLines` (contracts/owned-lines.ts): which
 * adoptions and restores it refuses (which field, why), and the held lines after one. Pure, so
 * the validator and the handler check the same thing, and a unit test can too.
 */
import type { TakeOverLines } from '../contracts/owned-lines';
import type { SubscriptionPlacement } from '../contracts/subscription';
import type { Problem } from '../domain/problems';
import type { HeldAtService, HeldCwLine, HeldLines } from '../domain/psa-diff';

export interface TakeOverContext {
  held: HeldLines;
  heldOn: number | null;
  placement: SubscriptionPlacement | null;
  /** A step is being written (or waits to be written again) with keys computed from `held`. */
  writing: boolean;
}

type Line = HeldCwLine | HeldAtService;

const entries = (m: TakeOverLines): Array<['connectwise' | 'autotask', string, Line | null]> => [
  ...Object.entries(m.connectwise ?? {}).map(([k, v]) => ['connectwise', k, v] as ['connectwise', string, Line | null]),
  ...Object.entries(m.autotask ?? {}).map(([k, v]) => ['autotask', k, v] as ['autotask', string, Line | null]),
];

export function takeOverProblems(c: TakeOverContext, m: TakeOverLines): Problem[] {
  const problems: Problem[] = [];
  const where = c.heldOn ?? c.placement?.agreementId ?? null;
  if (where !== null && m.agreementId !== where) {
    problems.push({ path: 'agreementId', message: `is ${m.agreementId}, but the subscription's lines are on ${where}` });
  }
  if (c.writing) problems.push({ path: '', message: 'a step is being written to the PSA; try again once it is done (see the state query)' });
  const ids = new Map<number, string>();
  for (const [psa, map] of [['connectwise', c.held.connectwise], ['autotask', c.held.autotask]] as const) for (const [k, v] of Object.entries(map)) ids.set(v.psaId, `${psa}/${k}`);
  for (const [psa, k, line] of entries(m)) {
    if (c.placement && c.placement.psa !== psa) problems.push({ path: `${psa}.${k}`, message: `is a ${psa} line, but the subscription bills through ${c.placement.psa}` });
    const mine = c.held[psa][k];
    if (m.kind === 'adopt') {
      if (mine && mine.psaId !== line!.psaId) problems.push({ path: `${psa}.${k}`, message: `the connector already holds line ${mine.psaId} for ${k}; adopting ${line!.psaId} too would bill both` });
      const other = ids.get(line!.psaId);
      if (other && other !== `${psa}/${k}`) problems.push({ path: `${psa}.${k}.psaId`, message: `line ${line!.psaId} is already held for ${other}` });
    } else {
      if (!mine) problems.push({ path: `${psa}.${k}`, message: `the subscription holds no line ${k}: nothing to restore` });
      else if (line && line.psaId !== mine.psaId) problems.push({ path: `${psa}.${k}.psaId`, message: `is ${line.psaId}, but the line held for ${k} is ${mine.psaId}` });
    }
  }
  return problems;
}

/** The held lines after the message, and the keys it changed (none: nothing new). */
export function heldAfterTakeOver(held: HeldLines, m: TakeOverLines): { held: HeldLines; changed: string[] } {
  const next: HeldLines = { connectwise: { ...held.connectwise }, autotask: { ...held.autotask } };
  const changed: string[] = [];
  for (const [psa, k, line] of entries(m)) {
    const before = (next[psa] as Record<string, Line>)[k];
    if (JSON.stringify(before ?? null) === JSON.stringify(line)) continue;
    if (line === null) delete (next[psa] as Record<string, Line>)[k];
    else (next[psa] as Record<string, Line>)[k] = line;
    changed.push(k);
  }
  return { held: next, changed };
}
