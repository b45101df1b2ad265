/**
 * ConnectWise has no idempotency keys (docs/psa-apis.md §1.3), so the connector writes a short tag
 * derived from the operation's key into the addition's description. After a crash between the
 * PSA write and the journal entry, the gateway searches for the tag before creating again.
 *
 * Where the tag goes. ConnectWise's published Addition model gives `description` no maximum
 * length (it publishes 6000 for `invoiceDescription` and 50 for `serialNumber`), and an addition's
 * description is by default its catalog item's (published maximum 60). So the real limit is
 * unknown and a tenant may cut a longer text: the tag goes FIRST, where any cut of 20 characters
 * or more keeps it, and the whole stays within 60 characters.
 */
import { createHash } from 'node:crypto';

/** The length we keep descriptions to: a catalog item description's published maximum. */
export const CW_ADDITION_DESCRIPTION_MAX = 60;

/**
 * `op:` + 16 hex chars of SHA-256 of the key: fixed length whatever the key, and free of the
 * characters `like` patterns treat specially (`*`, `%`, `_`, `[`, quotes).
 */
export const operationTag = (idempotencyKey: string): string =>
  `op:${createHash('sha256').update(idempotencyKey, 'utf8').digest('hex').slice(0, 16)}`;

/** `<tag> <text>`, the text shortened (with an ellipsis) so the whole fits the limit. */
export function describeWithTag(text: string, tag: string, max = CW_ADDITION_DESCRIPTION_MAX): string {
  const room = max - tag.length - 1;
  const body = text.length <= room ? text : `${text.slice(0, room - 1)}…`;
  return `${tag} ${body}`;
}

/** The `conditions` that find an addition carrying the tag. */
export const tagConditions = (tag: string): string => `description like "${tag}*"`;
