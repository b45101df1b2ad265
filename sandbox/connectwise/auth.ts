/** ConnectWise's request authentication (docs/psa-apis.md §1.2): Basic `company+public:private` and a `clientId`. */
export interface CwCredentials {
  companyId: string;
  publicKey: string;
  privateKey: string;
  clientId: string;
}

/** Documented sandbox defaults (sandbox/README.md); override with CW_SANDBOX_* variables. */
export const DEFAULT_CW_SANDBOX_CREDENTIALS: CwCredentials = {
  companyId: 'sandbox',
  publicKey: 'sandbox-public-key',
  privateKey: 'sandbox-private-key',
  clientId: '11111111-2222-4333-8444-555555555555',
};

export type AuthResult = { ok: true; principal: string } | { ok: false; reason: 'credentials' | 'clientId' };

export function authenticate(headers: Record<string, string | string[] | undefined>, expected: CwCredentials): AuthResult {
  const header = String(headers.authorization ?? '');
  const m = /^Basic\s+(.+)$/i.exec(header);
  const decoded = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
  const want = `${expected.companyId}+${expected.publicKey}:${expected.privateKey}`;
  // Company ids are case-insensitive in ConnectWise logins; keys are not.
  const [who = '', key = ''] = [decoded.slice(0, decoded.indexOf(':')), decoded.slice(decoded.indexOf(':') + 1)];
  const [wantWho = '', wantKey = ''] = [want.slice(0, want.indexOf(':')), want.slice(want.indexOf(':') + 1)];
  if (!m || decoded.indexOf(':') < 0 || who.toLowerCase() !== wantWho.toLowerCase() || key !== wantKey) {
    return { ok: false, reason: 'credentials' };
  }
  const clientId = String(headers.clientid ?? '');
  if (clientId.toLowerCase() !== expected.clientId.toLowerCase()) return { ok: false, reason: 'clientId' };
  return { ok: true, principal: who.toLowerCase() };
}
