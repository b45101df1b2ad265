/**
 * The text of a subscription's PSA lines (docs/mapping.md "Line descriptions"): `sub <id>` first,
 * then the admin's text and the parts the admin asked for (seed 004 "Include Subscription
 * Information"). The parts name the product of the LINE, so lines written after a full or
 * partial upgrade name the new product; a text longer than the PSA keeps is cut on a word
 * boundary, never losing the `sub <id>` that identifies the line.
 */
import { z } from 'zod';

/** What may go into a line's description besides the admin's text. */
export const DESCRIPTION_PARTS = ['product', 'plan', 'partNumber', 'licenseCount'] as const;
export type DescriptionPart = (typeof DESCRIPTION_PARTS)[number];

/** What the connector writes without an admin's text (automatic mapping): `sub <id> | <product>`. */
export const AUTOMATIC_PARTS: Readonly<Record<DescriptionPart, boolean>> = { product: true, plan: false, partNumber: false, licenseCount: false };

/** What a placement's description was built from, so a line of another product gets its own. */
export const DescriptionSourceSchema = z
  .object({
    /** The product the placement's `description` names. */
    productId: z.string().min(1).max(200),
    text: z.string().max(500),
    include: z.object(Object.fromEntries(DESCRIPTION_PARTS.map((p) => [p, z.boolean()])) as Record<DescriptionPart, z.ZodBoolean>).strict(),
    quantity: z.number().int().nonnegative(),
    billingFrequency: z.enum(['monthly', 'yearly']),
  })
  .strict();
export type DescriptionSource = z.infer<typeof DescriptionSourceSchema>;

/** `sub <id> | <text> | <product> | <plan> | PN <part number> | <n> licenses` (empty parts left out). */
export function lineDescription(subscriptionId: string, source: DescriptionSource, product?: { name: string; partNumber: string }): string {
  const { include } = source;
  const parts = [`sub ${subscriptionId}`, source.text.trim()];
  if (include.product && product) parts.push(product.name);
  if (include.plan) parts.push(`${source.billingFrequency} plan`);
  if (include.partNumber && product) parts.push(`PN ${product.partNumber}`);
  if (include.licenseCount) parts.push(`${source.quantity} license${source.quantity === 1 ? '' : 's'}`);
  return parts.filter(Boolean).join(' | ');
}

/**
 * `text` within `max` characters: whole words only (unless the first word after the head alone is
 * too long), an ellipsis where it was cut, and its first segment (`sub <id>`, up to the first
 * ` | `) always kept whole.
 */
export function fitDescription(text: string, max: number): string {
  const t = text.replace(/\s+/g, ' ').trim();
  if (t.length <= max) return t;
  const sep = t.indexOf(' | ');
  const head = sep >= 0 ? t.slice(0, sep) : t.split(' ')[0]!;
  if (head.length >= max) return head.slice(0, max);
  let out = head;
  for (const word of t.slice(head.length).match(/\s*\S+/g) ?? []) {
    if (out.length + word.length > max - 1) break;
    out += word;
  }
  // Not even one more word fits (one very long word): its start is better than nothing.
  if (out === head) out = t.slice(0, max - 1);
  return `${out.replace(/[\s|]+$/, '')}…`;
}
