/**
 * What a failed ConnectWise answer means (docs/psa-apis.md §1.3, §1.7). Status alone misleads:
 * ConnectWise cloud often answers bad credentials with a bare 404, while a missing record
 * gets a 404 with a `NotFound` body; some timeouts arrive as 500 whose text says "timeout".
 */
import { kindOfStatus, type Classification, type HttpFailure } from '../http/http-client';
import { cwErrorSchema } from './schemas';

export function classifyConnectWiseFailure(failure: HttpFailure): Classification {
  const parsed = cwErrorSchema.safeParse(failure.body);
  const body = parsed.success ? parsed.data : undefined;
  const psaMessage = body?.message ?? (typeof failure.body === 'string' ? failure.body.slice(0, 300) : undefined) ?? undefined;
  const details = (body?.errors ?? []).map((e) => [e.field, e.message].filter(Boolean).join(': ')).filter(Boolean);
  const base = { ...(psaMessage ? { psaMessage } : {}), ...(details.length ? { details } : {}) };

  if (failure.status === 404) {
    // A vendor NotFound body names a missing record; anything else on a path that must exist is the cloud's auth answer.
    const recordMissing = body?.code === 'NotFound' || /not\s*found/i.test(body?.message ?? '');
    return { kind: recordMissing ? 'not-found' : failure.on404, ...base };
  }
  if (failure.status === 400 && body?.code === 'ConnectWiseApi' && /UserNotAuthenticated/i.test(body.message ?? '')) {
    return { kind: 'auth', ...base };
  }
  if (failure.status >= 500 && /time(d)?\s*out|timeout/i.test(psaMessage ?? '')) return { kind: 'timeout', ...base };
  return { kind: kindOfStatus(failure.status, failure.on404), ...base };
}
