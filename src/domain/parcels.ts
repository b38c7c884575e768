// How a consignment's goods go into parcels (R3.7): carriers take parcel services up to
// 20 kg a box, and a unit is never split across boxes. A unit heavier than that travels
// alone, as one heavy piece, and only a service that takes such a piece (freight) can
// carry it. Packing is first fit, heaviest goods first; what the carriers price and what
// the packing list counts are the same parcels.

/** Parcels carriers accept without freight handling: 20 kg each. */
export const MAX_PARCEL_GRAMS = 20_000;

export interface Dimensions {
  length: number;
  width: number;
  height: number;
}

export interface Goods {
  weightGrams: number;
  quantity: number;
  dimensionsCm?: Dimensions;
}

export interface PackedParcel {
  weightGrams: number;
  units: number;
  /** The largest extent of anything in it, side by side (a rough box, not a 3-D packing). */
  dimensionsCm: Dimensions;
}

const NO_SIZE: Dimensions = { length: 1, width: 1, height: 1 };

export function packParcels(goods: readonly Goods[], maxGrams = MAX_PARCEL_GRAMS): PackedParcel[] {
  const parcels: PackedParcel[] = [];
  const heaviestFirst = goods.filter((g) => g.quantity > 0).sort((a, b) => b.weightGrams - a.weightGrams);
  for (const g of heaviestFirst) {
    const size = g.dimensionsCm ?? NO_SIZE;
    let left = g.quantity;
    if (g.weightGrams > maxGrams) {
      for (; left > 0; left--) parcels.push({ weightGrams: g.weightGrams, units: 1, dimensionsCm: { ...size } });
      continue;
    }
    for (const p of parcels) {
      if (left === 0) break;
      const fits = Math.min(left, Math.floor((maxGrams - p.weightGrams) / g.weightGrams));
      if (fits <= 0) continue;
      p.weightGrams += fits * g.weightGrams;
      p.units += fits;
      p.dimensionsCm = largest(p.dimensionsCm, size);
      left -= fits;
    }
    const perParcel = Math.floor(maxGrams / g.weightGrams);
    while (left > 0) {
      const units = Math.min(left, perParcel);
      parcels.push({ weightGrams: units * g.weightGrams, units, dimensionsCm: { ...size } });
      left -= units;
    }
  }
  return parcels;
}

function largest(a: Dimensions, b: Dimensions): Dimensions {
  return { length: Math.max(a.length, b.length), width: Math.max(a.width, b.width), height: Math.max(a.height, b.height) };
}
