/**
 * How much of a line's description each PSA keeps (docs/mapping.md "Line descriptions"), from the vendors'
 * published schemas (docs/psa-apis.md):
 *
 * - ConnectWise agreement addition `description`: the published model gives it no maximum, so
 *   the connector writes the whole text (a placement's description is at most 1000 characters)
 *   behind its 20-character operation tag. A tenant that refuses it gets it cut to 60 in all —
 *   a catalog item description's published maximum (connectwise-lines.ts) — so `sub <id>` must
 *   fit in the 40 after the tag.
 * - Autotask contract service `internalDescription`: 100 characters (the entity's field
 *   information; the REST swagger publishes no lengths). `invoiceDescription` (1000) is the
 *   customer's invoice text and stays the service's own.
 */
import { fitDescription } from '../../domain/line-description';
import type { PsaKind } from '../../domain/psa-operations';
import { CW_ADDITION_DESCRIPTION_MAX, operationTag } from './connectwise/operation-tag';

export const AT_INTERNAL_DESCRIPTION_MAX = 100;

/** A placement description's maximum (contracts/subscription.ts), all ConnectWise is sent. */
const PLACEMENT_DESCRIPTION_MAX = 1000;

/** Characters of our text a line's description keeps in each PSA. */
export const DESCRIPTION_ROOM: Record<PsaKind, number> = {
  connectwise: PLACEMENT_DESCRIPTION_MAX,
  autotask: AT_INTERNAL_DESCRIPTION_MAX,
};

/** Characters of our text the least a PSA may keep (a ConnectWise tenant that refuses a long description): `sub <id>` must fit. */
export const LEAST_DESCRIPTION_ROOM: Record<PsaKind, number> = {
  connectwise: CW_ADDITION_DESCRIPTION_MAX - operationTag('').length - 1,
  autotask: AT_INTERNAL_DESCRIPTION_MAX,
};

/** The text a PSA line gets: cut on a word boundary to what the PSA keeps, `sub <id>` kept. */
export const psaLineText = (psa: PsaKind, text: string): string => fitDescription(text, DESCRIPTION_ROOM[psa]);
