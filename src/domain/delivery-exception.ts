// When delivery goes wrong (R3.10, R4.8, R4.9, R5.2): what can go wrong, who says so,
// what the customer may choose, and the carriers' many words for each case. Pure rules,
// shared by the workflow, the activities, the API and the carrier adapters.

export const EXCEPTION_KINDS = ['delay', 'damaged', 'lost', 'address_problem', 'refused'] as const;
export type ExceptionKind = (typeof EXCEPTION_KINDS)[number];

export const REPORTERS = ['carrier', 'customer', 'operator'] as const;
export type Reporter = (typeof REPORTERS)[number];

export const INCIDENT_STATUSES = ['open', 'awaiting_customer', 'resolved'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const RESOLUTION_CHOICES = ['replacement', 'refund'] as const;
export type ResolutionChoice = (typeof RESOLUTION_CHOICES)[number];

/** The `deliveryException` signal: one report of one thing going wrong. */
export interface DeliveryExceptionReport {
  /** Given by the API (its 202 answers with it); the workflow makes one for a carrier's report. */
  incidentId?: string;
  /** Absent: every shipment the kind can concern (undelivered ones; delivered ones for damage). */
  shipmentId?: string;
  kind: ExceptionKind;
  reportedBy: Reporter;
  detail?: string;
  /** YYYY-MM-DD: the carrier's or planner's new delivery date (a delay). */
  newEta?: string;
}

/** The `delay` signal: a carrier's or planner's new ETA for a shipment (or all of them). */
export interface DelayNotice {
  shipmentId?: string;
  newEta: string;
  reportedBy?: Reporter;
  detail?: string;
}

/** What the customer is offered for each kind; an empty list asks nothing of them. */
export function optionsFor(kind: ExceptionKind): ResolutionChoice[] {
  switch (kind) {
    case 'lost':
    case 'damaged':
      return ['replacement', 'refund'];
    // A refused parcel comes back and is refunded; a delay is compensated; an address
    // problem is corrected: none of them is the customer's choice between goods and money.
    default:
      return [];
  }
}

/** Whether two incidents are about the same trouble, so the second must not pay out again. */
export function sameTrouble(a: { kind: ExceptionKind }, b: { kind: ExceptionKind }): boolean {
  const group = (k: ExceptionKind) => (k === 'lost' || k === 'damaged' ? 'goods' : k);
  return group(a.kind) === group(b.kind);
}

/**
 * A carrier's status word (EasyPost's `status_detail`, karrio's incident reasons, our
 * sandbox's fates) as one of our kinds. Undefined: not an exception we act on by itself
 * (`return_to_sender` is the consequence of one, handled by the shipment's journey).
 */
export function exceptionKindOf(word: string | undefined): ExceptionKind | undefined {
  if (!word) return undefined;
  const w = word.trim().toLowerCase().replace(/[\s-]+/g, '_');
  if (/^(lost|missing|lost_in_transit|not_found|package_lost)$/.test(w)) return 'lost';
  if (/^(damaged|damage|damaged_in_transit|package_damaged|broken)$/.test(w)) return 'damaged';
  if (/^(delay|delayed|weather_delay|late|transit_delay|delivery_delayed|rescheduled)$/.test(w)) return 'delay';
  if (/^(refused|rejected|recipient_refused|delivery_refused)$/.test(w)) return 'refused';
  if (/^(address_problem|address_not_found|incorrect_address|invalid_address|undeliverable_address|address_issue|bad_address)$/.test(w)) {
    return 'address_problem';
  }
  return undefined;
}

/** The carrier is sending the parcel back to us (after a refusal or an unsolved address). */
export function isReturnToSender(word: string | undefined): boolean {
  return /^(return_to_sender|returning|returned_to_sender|rts)$/.test((word ?? '').trim().toLowerCase().replace(/[\s-]+/g, '_'));
}

/** A lane as the incident summary groups it: origin and destination, country and region. */
export function laneOf(origin: { country: string; region: string }, destination: { country: string; region: string }): string {
  return `${origin.country}-${origin.region}>${destination.country}-${destination.region}`;
}

/** R4.9: what a delay past the promised date earns the customer. */
export type DelayCompensationPolicy = { kind: 'percent'; basisPoints: number } | { kind: 'fixed'; amount: number } | { kind: 'none' };

/** Parses ORDERFLOW_DELAY_COMPENSATION: `10%`, `fixed:500` (minor units of the order's currency) or `none`. */
export function parseDelayCompensation(text: string): DelayCompensationPolicy | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'none') return { kind: 'none' };
  const percent = /^(\d{1,3})(?:\.(\d{1,2}))?%$/.exec(t);
  if (percent) {
    const basisPoints = Number(percent[1]) * 100 + Number((percent[2] ?? '').padEnd(2, '0'));
    return basisPoints > 0 && basisPoints <= 10_000 ? { kind: 'percent', basisPoints } : undefined;
  }
  const fixed = /^fixed:(\d{1,12})$/.exec(t);
  if (fixed && Number(fixed[1]) > 0) return { kind: 'fixed', amount: Number(fixed[1]) };
  return undefined;
}

/** The compensation for goods worth `value` (minor units): never more than their value, never fractional. */
export function delayCompensation(policy: DelayCompensationPolicy, value: number): number {
  switch (policy.kind) {
    case 'none':
      return 0;
    case 'fixed':
      return Math.min(policy.amount, value);
    case 'percent':
      // Round half down: the customer is never promised a fraction of a cent.
      return Math.floor((value * policy.basisPoints) / 10_000);
  }
}

/** Whether `eta` (YYYY-MM-DD) passes the promised date (YYYY-MM-DD or an ISO instant). */
export function passesPromise(eta: string, promised: string | undefined): boolean {
  if (!promised) return false;
  return eta > promised.slice(0, 10);
}
