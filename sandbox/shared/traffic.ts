/**
 * What a sandbox was asked: counters per route and status, peak requests in flight per route
 * (the Autotask thread limit), and a bounded request log. Only method, path, status and timing
 * are kept — never headers or bodies, so no credential can leak through it.
 */
export interface RequestRecord {
  at: string;
  method: string;
  /** Path with query string (queries hold filters, not credentials, in both PSAs). */
  url: string;
  route: string;
  status: number;
  durationMs: number;
  fault?: string;
}

export interface TrafficSnapshot {
  total: number;
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
  peakInFlightByRoute: Record<string, number>;
}

export interface Traffic {
  started(route: string): void;
  finished(record: RequestRecord): void;
  snapshot(): TrafficSnapshot;
  log(limit?: number): RequestRecord[];
  clear(): void;
}

export function createTraffic(maxLog = 2000): Traffic {
  let total = 0;
  let byRoute: Record<string, number> = {};
  let byStatus: Record<string, number> = {};
  let inFlight: Record<string, number> = {};
  let peak: Record<string, number> = {};
  let records: RequestRecord[] = [];
  return {
    started(route) {
      const n = (inFlight[route] ?? 0) + 1;
      inFlight[route] = n;
      peak[route] = Math.max(peak[route] ?? 0, n);
    },
    finished(record) {
      total++;
      inFlight[record.route] = Math.max(0, (inFlight[record.route] ?? 1) - 1);
      byRoute[record.route] = (byRoute[record.route] ?? 0) + 1;
      byStatus[String(record.status)] = (byStatus[String(record.status)] ?? 0) + 1;
      records.push(record);
      if (records.length > maxLog) records = records.slice(records.length - maxLog);
    },
    snapshot: () => ({ total, byRoute: { ...byRoute }, byStatus: { ...byStatus }, peakInFlightByRoute: { ...peak } }),
    log: (limit = maxLog) => records.slice(-limit),
    clear() {
      total = 0;
      byRoute = {};
      byStatus = {};
      inFlight = {};
      peak = {};
      records = [];
    },
  };
}
