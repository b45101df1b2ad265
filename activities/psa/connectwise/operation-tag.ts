/**
 * ConnectWise has no idempotency keys (docs/psa-apis.md §1.3), so the connector writes a short tag
 * derived from the operation's key into the addition's description. After a crash between the
 * PSA write and the journal entry, the gateway searches for the tag before creating again.
 *
 * Where the tag goes. ConnectWise's published Addition model gives `description` no maximum
 * length (it publishes 6000 for `invoiceDescription` and 50 for `serialNumber`), so the connector
 * writes the whole line description (docs/mapping.md "Line descriptions"). A tenant may still cut it (an
 * addition's description is by default its catalog item's, published maximum 60): the tag goes
 * FIRST, where any cut of 20 characters or more keeps it. A tenant that refuses a long one gets
 * the text cut to 60 in all (connectwise-lines.ts).
 */
import { createHash } from 'node:crypto';
import { fitDescription } from '../../../domain/line-description';

/** What a tenant that refuses a longer addition description is assumed to keep: a catalog item description's published maximum. */
export const CW_ADDITION_DESCRIPTION_MAX = 60;

/**
 * `op:` + 16 hex chars of SHA-256 of the key: fixed length whatever the key, and free of the
 * characters `like` patterns treat specially (`*`, `%`, `_`, `[`, quotes).
 */
export const operationTag = (idempotencyKey: string): string =>
  `op:${createHash('sha256').update(idempotencyKey, 'utf8').digest('hex').slice(0, 16)}`;

/** `<tag> <text>`; with `max`, the text cut on a word boundary (an ellipsis, `sub <id>` kept) so the whole fits it. */
export function describeWithTag(text: string, tag: string, max?: number): string {
  return `${tag} ${max === undefined ? text : fitDescription(text, max - tag.length - 1)}`;
}

/** The operation tag a description starts with, if any (a line created by the connector). */
export const tagOf = (description: string | null | undefined): string | null => /^op:[0-9a-f]{16}(?= |$)/.exec(description ?? '')?.[0] ?? null;

/** The `conditions` that find an addition carrying the tag. */
export const tagConditions = (tag: string): string => `description like "${tag}*"`;
