/**
 * The line description of a mapped service (subscription). The vendor's screen requires a
 * description and can add the product, plan, part number, subscription id and license count
 * ("Include Subscription Information"). We always put the subscription id FIRST (`sub <id>`):
 * a PSA that keeps less than the whole text (line-description-room.ts) cuts on a word boundary
 * and never loses the id that drift detection looks for. The text is built by
 * domain/line-description.ts, so a line of an upgrade's new product gets the same text naming it.
 */
import { fitDescription, lineDescription, type DescriptionPart, type DescriptionSource } from '../../domain/line-description';
import { DESCRIPTION_ROOM, LEAST_DESCRIPTION_ROOM } from '../../activities/psa/line-description-room';
import type { PsaKind } from '../../activities/store';

export interface ServiceDescription {
  description: string;
  source: DescriptionSource;
}

/** A subscription's description (and what it is built from) for the admin's text and parts. */
export function serviceDescription(
  text: string,
  include: Record<DescriptionPart, boolean>,
  s: { subscriptionId: string; productId: string; quantity: number; billingFrequency: 'monthly' | 'yearly'; product?: { name: string; partNumber: string } },
): ServiceDescription {
  const source: DescriptionSource = { productId: s.productId, text: text.trim(), include: { ...include }, quantity: s.quantity, billingFrequency: s.billingFrequency };
  return { description: lineDescription(s.subscriptionId, source, s.product), source };
}

/** What the admin should know about how the PSA will show the description (it is cut, not refused). */
export function descriptionWarnings(psa: PsaKind, description: string): string[] {
  const room = DESCRIPTION_ROOM[psa];
  if (description.length <= room) return [];
  const where = psa === 'connectwise' ? `the connector writes ${room} characters of an addition's description` : `Autotask keeps ${room} characters of a contract service's internal description`;
  return [`${where}, so this description (${description.length} characters) is written as "${fitDescription(description, room)}"`];
}

/** Whether `sub <id>` survives the least a PSA keeps of a description (drift detection looks for it). */
export function subscriptionIdFits(psa: PsaKind, subscriptionId: string): boolean {
  return `sub ${subscriptionId}`.length <= LEAST_DESCRIPTION_ROOM[psa];
}
