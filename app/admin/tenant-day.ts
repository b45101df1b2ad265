/**
 * The PSA tenant's calendar day. The connector cannot read a tenant's time zone from either PSA
 * (Autotask publishes none; ConnectWise's `/system/info` `serverTimeZone` is not a zone name we
 * can rely on), so the admin sets it per connection (`timeZone`, default UTC) and the day a
 * rules change takes effect is that zone's day (docs/mapping.md "Rules change").
 */

/** True when `zone` is an IANA time zone this runtime knows (e.g. `Europe/Berlin`, `UTC`). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-CA', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The calendar day YYYY-MM-DD in `zone` at `at`. */
export function dayIn(zone: string, at: Date): string {
  // en-CA formats a date as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}
