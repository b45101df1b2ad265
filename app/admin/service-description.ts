/**
 * The line description of a mapped service (subscription). The vendor's screen requires a
 * description and can add the product, plan, part number, subscription id and license count
 * ("Include Subscription Information"). We always add the subscription id, and put it FIRST:
 * ConnectWise keeps 60 characters of which the gateway's operation tag takes 20 (see
 * operation-tag.ts), and a cut must never lose the id that drift detection looks for.
 */
import { CW_ADDITION_DESCRIPTION_MAX, operationTag } from '../../activities/psa/connectwise/operation-tag';
import type { PsaKind } from '../../activities/store';
import type { DescriptionPart } from './mapping-service.schemas';

export interface DescriptionSource {
  subscriptionId: string;
  quantity: number;
  billingFrequency: 'monthly' | 'yearly';
  product?: { name: string; partNumber: string; provider: string };
}

/** Room for our text in a ConnectWise addition description once the operation tag is added. */
export const CW_DESCRIPTION_ROOM = CW_ADDITION_DESCRIPTION_MAX - operationTag('').length - 1;

/** `sub <id> | <text> | <product> | <plan> | PN <part number> | <n> licenses`. */
export function serviceDescription(text: string, include: Record<DescriptionPart, boolean>, src: DescriptionSource): string {
  const parts = [`sub ${src.subscriptionId}`, text.trim()];
  if (include.product && src.product) parts.push(src.product.name);
  if (include.plan) parts.push(`${src.billingFrequency} plan`);
  if (include.partNumber && src.product) parts.push(`PN ${src.product.partNumber}`);
  if (include.licenseCount) parts.push(`${src.quantity} license${src.quantity === 1 ? '' : 's'}`);
  return parts.filter(Boolean).join(' | ');
}

/** What the admin should know about how the PSA will show the description (it is cut, not refused). */
export function descriptionWarnings(psa: PsaKind, description: string): string[] {
  if (psa === 'connectwise' && description.length > CW_DESCRIPTION_ROOM) {
    return [`ConnectWise keeps ${CW_DESCRIPTION_ROOM} characters of a description next to the connector's operation tag; this one (${description.length}) will be shortened to "${description.slice(0, CW_DESCRIPTION_ROOM - 1)}…"`];
  }
  return [];
}
