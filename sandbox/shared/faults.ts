/**
 * Fault injection for the PSA sandboxes: the next N requests (or a share of them) fail with a
 * status (429 with Retry-After, 500, ...), hang, or answer late. A status fault may strike
 * before the request is handled, or after it was (`afterWrite`): the record is written but the
 * client sees an error, which is the case idempotency keys exist for.
 */
export type Fault =
  | { type: 'status'; status: number; retryAfterSeconds?: number; body?: unknown; afterWrite?: boolean }
  /** No answer until the client gives up (or the sandbox closes). */
  | { type: 'hang' };

export interface FaultRule {
  fault: Fault;
  /** Strike the next `times` matching requests... */
  times?: number;
  /** ...or each matching request with this probability (0..1), until cleared. */
  probability?: number;
  /** Restrict to a method and/or a path fragment. */
  method?: string;
  pathIncludes?: string;
}

export interface Latency {
  ms: number;
  jitterMs?: number;
}

export interface FaultInjector {
  add(rule: FaultRule): void;
  clear(): void;
  setLatency(latency: Latency): void;
  latencyMs(): number;
  /** The fault for this request, if one strikes (consumes a `times` count). */
  pick(method: string, path: string): Fault | null;
  rules(): readonly FaultRule[];
}

/**
 * A small seeded generator (mulberry32): the same seed strikes the same requests, so a test with
 * probabilistic faults fails the same way every run.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Which requests probabilistic fault rules strike: seeded (default seed 1), never Math.random. */
export function createFaultInjector(random: () => number = seededRandom(1)): FaultInjector {
  let rules: FaultRule[] = [];
  let latency: Latency = { ms: 0 };
  const matches = (r: FaultRule, method: string, path: string): boolean =>
    (!r.method || r.method.toUpperCase() === method.toUpperCase()) && (!r.pathIncludes || path.includes(r.pathIncludes));
  return {
    add(rule) {
      if (rule.times === undefined && rule.probability === undefined) rule = { ...rule, times: 1 };
      rules.push(rule);
    },
    clear() {
      rules = [];
      latency = { ms: 0 };
    },
    setLatency(l) {
      latency = l;
    },
    latencyMs: () => latency.ms + Math.round(random() * (latency.jitterMs ?? 0)),
    pick(method, path) {
      for (const rule of rules) {
        if (!matches(rule, method, path)) continue;
        if (rule.times !== undefined && rule.times > 0) {
          rule.times--;
          if (rule.times === 0) rules = rules.filter((r) => r !== rule);
          return rule.fault;
        }
        if (rule.probability !== undefined && random() < rule.probability) return rule.fault;
      }
      return null;
    },
    rules: () => rules,
  };
}
