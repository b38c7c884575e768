import type { CollectedMethod } from '../../src/domain/collection';
import type { PaymentNotice } from '../../src/domain/payments';
import type { InstalmentStatus } from './messages';

// The collection workflow's activities (orders task queue), as a contract: the
// implementations (activities/collection.ts) satisfy it. The method names are activity
// type names, in every recorded history: never rename one.

export interface OpenedInstalment {
  number: number;
  amount: number;
  dueAt: string;
  status: InstalmentStatus;
  dunningNotices: number;
}

export interface OpenedCollection {
  currency: string;
  /** COD: the cash the carrier reported collecting (its `cod_collected` journals), else the order's total. */
  expected: number;
  /** COD: the carrier that collected it. */
  carrier?: string;
  /** Instalments: the schedule, as recorded (created on the first call). */
  instalments: OpenedInstalment[];
  /** Payments already recorded for the order (they may predate the workflow). */
  payments: PaymentNotice[];
}

export interface CollectionActivities {
  /**
   * Reads what is owed and what was paid; for instalments writes the schedule once (its
   * due dates one interval apart from `startedAt`). Idempotent.
   */
  openCollection(input: {
    orderId: string;
    method: CollectedMethod;
    instalmentCount: number;
    instalmentIntervalMs: number;
    startedAt: string;
  }): Promise<OpenedCollection>;
  /** Marks instalments paid (once; a paid one stays as it was). */
  recordInstalmentsPaid(input: { orderId: string; numbers: number[] }): Promise<void>;
  /** An overdue instalment's n-th dunning notice to the customer (outbox, once per instalment and n). */
  dunInstalment(input: { orderId: string; number: number; notice: number }): Promise<void>;
  /** The carrier (and operators, who see the outbox) is reminded of a remittance past its deadline. Once. */
  remindCodRemittance(input: { orderId: string; carrier?: string; amount: number; currency: string; dueAt: string }): Promise<void>;
  /** The order's operator flag (orders.needs_attention / attention_reason). */
  recordCollectionAttention(input: { orderId: string; needsAttention: boolean; reason?: string }): Promise<void>;
}
