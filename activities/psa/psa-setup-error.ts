/**
 * What the connector knows does not allow the operation — a product not mapped, a line whose
 * PSA id is unknown, PSA defaults missing for a create. Retrying cannot help: it fails at once
 * (non-retryable) with this message, for the admin to fix the mapping or settings.
 */
export class PsaSetupError extends Error {
  override readonly name = 'PsaSetupError';
}
