// R2.2: the kinds of stock movement, named as the process deck names them. Each is a row
// in the append-only ledger (src/inventory/stock-ledger.ts says what each does to the figures).

export const STOCK_MOVEMENT_KINDS = [
  'receipt',
  'reservation',
  'release',
  'shipment',
  'adjustment',
  'transfer_out',
  'transfer_in',
  'return',
  'write_off',
] as const;
export type StockMovementKind = (typeof STOCK_MOVEMENT_KINDS)[number];
