// Why the settlement workflow's resolveDiscrepancy update refused a decision (the
// ApplicationFailure type); the API answers 404 and 409 for them.
export const ResolutionRejection = {
  /** The run has no such discrepancy. */
  Unknown: 'DiscrepancyUnknown',
  /** It was adjusted automatically, or finance decided it already (or is deciding it now). */
  AlreadyResolved: 'DiscrepancyAlreadyResolved',
} as const;
