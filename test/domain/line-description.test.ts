/**
 * domain/line-description.ts (docs/mapping.md "Line descriptions"): a line's text names the line's own
 * product, and a text longer than the PSA keeps is cut on a word boundary without losing the
 * `sub <id>` drift detection looks for.
 */
import fc from 'fast-check';
import { AUTOMATIC_PARTS, fitDescription, lineDescription, type DescriptionSource } from '../../domain/line-description';
import { psaLineText } from '../../activities/psa/line-description-room';

const source: DescriptionSource = {
  productId: 'm365-e3',
  text: 'Contoso licences',
  include: { product: true, plan: true, partNumber: true, licenseCount: true },
  quantity: 17,
  billingFrequency: 'monthly',
};
const E3 = { name: 'Microsoft 365 E3', partNumber: 'CFQ7TTC0LFLX' };
const E5 = { name: 'Microsoft 365 E5', partNumber: 'CFQ7TTC0LFLZ' };

describe('lineDescription', () => {
  it('names the product it is given, so a line of an upgrade names the new product', () => {
    expect(lineDescription('sub-1', source, E3)).toBe('sub sub-1 | Contoso licences | Microsoft 365 E3 | monthly plan | PN CFQ7TTC0LFLX | 17 licenses');
    expect(lineDescription('sub-1', source, E5)).toBe('sub sub-1 | Contoso licences | Microsoft 365 E5 | monthly plan | PN CFQ7TTC0LFLZ | 17 licenses');
  });

  it('writes `sub <id> | <product>` for an automatic mapping', () => {
    expect(lineDescription('sub-1', { ...source, text: '', include: { ...AUTOMATIC_PARTS } }, E5)).toBe('sub sub-1 | Microsoft 365 E5');
  });
});

describe('fitDescription', () => {
  const long = 'sub 0f8fad5b-d9cb-469f-a165-70867728950e | Contoso licences | Microsoft 365 E5 | monthly plan | 17 licenses';

  it('keeps more than 40 characters where the PSA does: Autotask keeps 100, ConnectWise the whole text', () => {
    expect(psaLineText('connectwise', long)).toBe(long);
    const at = psaLineText('autotask', long);
    expect(at).toBe('sub 0f8fad5b-d9cb-469f-a165-70867728950e | Contoso licences | Microsoft 365 E5 | monthly plan | 17…');
    expect(at.length).toBeLessThanOrEqual(100);
  });

  it('cuts on a word boundary, marks the cut, and never loses `sub <id>`', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9-]{1,36}$/), fc.array(fc.stringMatching(/^[A-Za-z0-9]{1,15}$/), { maxLength: 20 }), fc.integer({ min: 41, max: 120 }), (id, words, max) => {
        const text = [`sub ${id}`, words.join(' ')].filter(Boolean).join(' | ');
        const out = fitDescription(text, max);
        expect(out.length).toBeLessThanOrEqual(max);
        expect(out.startsWith(`sub ${id}`)).toBe(true);
        if (text.length <= max) expect(out).toBe(text);
        else {
          expect(out.endsWith('…')).toBe(true);
          // Every word kept is whole: the text without the ellipsis is a word-boundary prefix.
          const kept = out.slice(0, -1);
          expect(text.startsWith(kept) && /^[\s|]/.test(text.slice(kept.length))).toBe(true);
        }
      }),
    );
  });
});
