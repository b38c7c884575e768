// The business failures an order can meet, by the type name activities give their
// non-retryable ApplicationFailure. The workflow decides what each one means for the
// order; anything else is an infrastructure failure and is retried.

export const BusinessFailure = {
  /** VERIFY: the order cannot be accepted as it stands; details: { number, reasons } */
  OrderVerificationFailed: 'OrderVerificationFailed',
  /** RESERVE: not enough stock; details: { shortages } */
  InsufficientStock: 'InsufficientStock',
  /** PLAN: no safe carrier serves the lane; details: { reasons } */
  NoCarrierAvailable: 'NoCarrierAvailable',
  /** PLAN/DISPATCH: the carrier refused the request; details: { code } */
  CarrierRejected: 'CarrierRejected',
  /** DISPATCH: the packing list does not match the order; details: { discrepancies } */
  PackingListMismatch: 'PackingListMismatch',
  /** The order is not in the database where a later stage expects it. */
  OrderMissing: 'OrderMissing',
} as const;
export type BusinessFailureType = (typeof BusinessFailure)[keyof typeof BusinessFailure];

export const BUSINESS_FAILURE_TYPES: readonly string[] = Object.values(BusinessFailure);

// Why a message to an order was refused; the API turns these into 409 and 422.
export const MessageRejection = {
  /** The order is not in a state that can take this message (HTTP 409). */
  WrongState: 'OrderStateConflict',
  /** The message is well-formed but its content is not acceptable (HTTP 422). */
  Invalid: 'OrderMessageInvalid',
} as const;
