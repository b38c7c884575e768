import type { HandlingKind } from './carrier-contract';
import { packParcels } from './parcels';

// R3.7–R3.9: the packing list says what goes in the box, is checked against the order
// before the carrier is booked, and travels with the goods for the customer to check.

/** How a line is packed: the care its goods need. */
export type PackagingKind = HandlingKind;

export interface PackingListLine {
  line: number;
  sku: string;
  name: string;
  spec: string;
  quantity: number;
  packaging: PackagingKind;
  weightGrams: number;
}

export interface PackingList {
  shipmentId: string;
  orderNumber: string;
  warehouseCode: string;
  lines: PackingListLine[];
  totalWeightGrams: number;
  parcelCount: number;
  checkedAgainstOrder: boolean;
}

export interface PackableLine {
  line: number;
  sku: string;
  name: string;
  spec: string;
  quantity: number;
  weightGrams: number;
  handling: PackagingKind;
}

const PACKAGING_RANK: Record<PackagingKind, number> = { standard: 0, fragile: 1, perishable: 2, hazardous: 3 };

export function buildPackingList(input: {
  shipmentId: string;
  orderNumber: string;
  warehouseCode: string;
  lines: readonly PackableLine[];
}): PackingList {
  const lines: PackingListLine[] = [...input.lines]
    .sort((a, b) => a.line - b.line)
    .map((l) => ({
      line: l.line,
      sku: l.sku,
      name: l.name,
      spec: l.spec,
      quantity: l.quantity,
      packaging: l.handling,
      weightGrams: l.weightGrams * l.quantity,
    }));
  const totalWeightGrams = lines.reduce((n, l) => n + l.weightGrams, 0);
  return {
    shipmentId: input.shipmentId,
    orderNumber: input.orderNumber,
    warehouseCode: input.warehouseCode,
    lines,
    totalWeightGrams,
    parcelCount: Math.max(1, packParcels(input.lines).length),
    checkedAgainstOrder: false,
  };
}

/** The most careful packaging any line needs decides the consignment's handling. */
export function strictestPackaging(kinds: readonly PackagingKind[]): PackagingKind {
  return kinds.reduce<PackagingKind>((a, b) => (PACKAGING_RANK[b] > PACKAGING_RANK[a] ? b : a), 'standard');
}

export interface PackingDiscrepancy {
  sku: string;
  expected: number;
  packed: number;
}

/** R3.8: every unit the order allocates to this consignment is on the list, and nothing else. */
export function checkPackingList(
  list: PackingList,
  expected: readonly { sku: string; quantity: number }[],
): { ok: boolean; discrepancies: PackingDiscrepancy[] } {
  const want = new Map<string, number>();
  for (const e of expected) want.set(e.sku, (want.get(e.sku) ?? 0) + e.quantity);
  const packed = new Map<string, number>();
  for (const l of list.lines) packed.set(l.sku, (packed.get(l.sku) ?? 0) + l.quantity);
  const discrepancies: PackingDiscrepancy[] = [];
  for (const sku of new Set([...want.keys(), ...packed.keys()])) {
    const e = want.get(sku) ?? 0;
    const p = packed.get(sku) ?? 0;
    if (e !== p) discrepancies.push({ sku, expected: e, packed: p });
  }
  return { ok: discrepancies.length === 0, discrepancies };
}
