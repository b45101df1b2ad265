/**
 * A sandbox tenant's time zone. Both PSAs keep "date-only" fields (effective dates, contract and
 * billing start dates, the day a charge is billed) as calendar days of the tenant, while they
 * talk UTC instants on the wire. A sandbox in a zone other than UTC is how a client's
 * `T00:00:00Z` + `slice(0, 10)` shortcuts get caught (sandbox/README.md, "Dates and time zones").
 */
export interface TenantClock {
  /** IANA zone name, e.g. `America/New_York`. */
  readonly timeZone: string;
  /** The tenant's calendar day at an instant. */
  localDateOf(instantMs: number): string;
  /** The instant the tenant's day `date` starts, as `yyyy-MM-ddTHH:mm:ssZ`. */
  startOfDay(date: string): string;
}

const pad = (n: number): string => String(n).padStart(2, '0');

export function createTenantClock(timeZone = 'UTC'): TenantClock {
  // Throws a RangeError naming the zone when it is not a valid IANA name.
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  });
  const fields = (ms: number): Record<string, number> =>
    Object.fromEntries(parts.formatToParts(new Date(ms)).filter((p) => p.type !== 'literal').map((p) => [p.type, Number(p.value)]));
  /** Offset of the zone from UTC at an instant, in ms (local = utc + offset). */
  const offsetAt = (ms: number): number => {
    const f = fields(ms);
    return Date.UTC(f.year!, f.month! - 1, f.day!, f.hour!, f.minute!, f.second!) - Math.floor(ms / 1000) * 1000;
  };
  return {
    timeZone,
    localDateOf(ms) {
      const f = fields(ms);
      return `${f.year}-${pad(f.month!)}-${pad(f.day!)}`;
    },
    startOfDay(date) {
      const [y, m, d] = date.split('-').map(Number) as [number, number, number];
      const naive = Date.UTC(y, m - 1, d);
      // Two passes settle the offset across a daylight-saving change on that day.
      let instant = naive - offsetAt(naive);
      instant = naive - offsetAt(instant);
      return new Date(instant).toISOString().replace(/\.\d{3}Z$/, 'Z');
    },
  };
}

/** Parses an ISO date or date-time; one without a zone is UTC (what both APIs assume). */
export function parseInstant(value: string): number | null {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/.exec(value.trim());
  if (!m) return null;
  const ms = Date.parse(`${m[1]}T${m[2] ?? '00:00:00'}${m[3] ?? 'Z'}`);
  return Number.isNaN(ms) ? null : ms;
}
