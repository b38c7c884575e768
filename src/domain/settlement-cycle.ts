// R6.2: how often an agreement settles, and on which day of the month after a period ends.
export const SETTLEMENT_CYCLES = ['monthly', 'quarterly', 'half_yearly'] as const;
export type SettlementCycle = (typeof SETTLEMENT_CYCLES)[number];
/** "1".."28" or "last" (the last day of the month). */
export type SettlementDay = number | 'last';
