/**
 * §7 One agreement per company: when configured so, a company's mapped products must live on
 * one agreement/contract; and an agreement holding more than one mapped line for the same
 * platform product is reported as an error instead of guessed at (we report that one whether
 * or not the option is on: guessing which line to bill is never right).
 */
import type { Problem } from './problems';

export interface MappedLine {
  companyId: string | number;
  agreementId: string | number;
  platformProductId: string;
  /** The PSA line (addition / contract service) the product is mapped to. */
  lineId: string | number;
}

export function agreementMappingProblems(lines: readonly MappedLine[], options: { oneAgreementPerCompany: boolean }): Problem[] {
  const problems: Problem[] = [];
  if (options.oneAgreementPerCompany) {
    const byCompany = new Map<string, Set<string>>();
    for (const l of lines) {
      const set = byCompany.get(String(l.companyId)) ?? new Set<string>();
      set.add(String(l.agreementId));
      byCompany.set(String(l.companyId), set);
    }
    for (const [company, agreements] of byCompany) {
      if (agreements.size > 1) {
        problems.push({
          path: `companies[${company}]`,
          message: `has mapped products on ${agreements.size} agreements (${[...agreements].sort().join(', ')}); this connection requires one agreement per company`,
        });
      }
    }
  }
  const byAgreementProduct = new Map<string, MappedLine[]>();
  for (const l of lines) {
    const k = `${String(l.agreementId)}\u0000${l.platformProductId}`;
    byAgreementProduct.set(k, [...(byAgreementProduct.get(k) ?? []), l]);
  }
  for (const group of byAgreementProduct.values()) {
    if (group.length > 1) {
      const first = group[0]!;
      problems.push({
        path: `agreements[${String(first.agreementId)}]`,
        message: `holds ${group.length} mapped lines (${group.map((g) => String(g.lineId)).join(', ')}) for platform product ${first.platformProductId}; map exactly one instead of letting the connector guess`,
      });
    }
  }
  return problems;
}
