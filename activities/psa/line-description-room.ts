/**
 * How much of a line's description each PSA keeps (docs/mapping.md "Line descriptions"):
 *
 * - ConnectWise agreement addition `description`: the published model gives it no maximum, but
 *   it defaults from the catalog item's description (published maximum 60) and a tenant may cut
 *   a longer text, so the connector keeps it to 60 characters — its 20-character operation tag
 *   first (operation-tag.ts), our text in the 40 after it.
 * - Autotask contract service `internalDescription`: 100 characters (the entity's field
 *   information; the REST swagger publishes no lengths). `invoiceDescription` (1000) is the
 *   customer's invoice text and stays the service's own.
 */
import { fitDescription } from '../../domain/line-description';
import type { PsaKind } from '../../domain/psa-operations';
import { CW_ADDITION_DESCRIPTION_MAX, operationTag } from './connectwise/operation-tag';

export const AT_INTERNAL_DESCRIPTION_MAX = 100;

/** Characters of our text a line's description keeps in each PSA. */
export const DESCRIPTION_ROOM: Record<PsaKind, number> = {
  connectwise: CW_ADDITION_DESCRIPTION_MAX - operationTag('').length - 1,
  autotask: AT_INTERNAL_DESCRIPTION_MAX,
};

/** The text a PSA line gets: cut on a word boundary to what the PSA keeps, `sub <id>` kept. */
export const psaLineText = (psa: PsaKind, text: string): string => fitDescription(text, DESCRIPTION_ROOM[psa]);
