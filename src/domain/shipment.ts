import type { BookingRequest, RateRequest } from './carrier-contract';

// What RESERVE hands to PLAN and PLAN to DISPATCH: goods leaving one warehouse together,
// and the shipment chosen for them.

/** Goods leaving one warehouse together: what PLAN quotes and books as one shipment. */
export interface Consignment {
  warehouseCode: string;
  lines: { line: number; sku: string; quantity: number }[];
  rateRequest: RateRequest;
}

export interface PlannedShipment {
  shipmentId: string;
  warehouseCode: string;
  carrier: string;
  method: string;
  service: string;
  shipDate: string;
  estimatedDelivery: string;
  bookingKey: string;
  bookingRequest: BookingRequest;
}
