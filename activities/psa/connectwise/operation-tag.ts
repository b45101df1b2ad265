/**
 * ConnectWise has no idempotency keys (psa-apis.md §1.3), so the connector writes a short tag
 * derived from the operation's key into the addition's description. After a crash between the
 * PSA write and the journal entry, the gateway searches for the tag before creating again.
 */
import { createHash } from 'node:crypto';

/** Not published for additions; the catalog's 60 is the safe assumption. */
export const CW_ADDITION_DESCRIPTION_MAX = 60;

/**
 * `op:` + 16 hex chars of SHA-256 of the key: fixed length whatever the key, and free of the
 * characters `like` patterns treat specially (`*`, `%`, `_`, `[`, quotes).
 */
export const operationTag = (idempotencyKey: string): string =>
  `op:${createHash('sha256').update(idempotencyKey, 'utf8').digest('hex').slice(0, 16)}`;

/** `<text> <tag>`, the text shortened (with an ellipsis) so the whole fits the limit. */
export function describeWithTag(text: string, tag: string, max = CW_ADDITION_DESCRIPTION_MAX): string {
  const room = max - tag.length - 1;
  const body = text.length <= room ? text : `${text.slice(0, room - 1)}…`;
  return `${body} ${tag}`;
}

/** The `conditions` that find an addition carrying the tag. */
export const tagConditions = (tag: string): string => `description like "*${tag}*"`;
