import type { OrderStatus } from './order-status';

// A status change as a workflow hands it to the activity that writes it. The workflow
// numbers every change (its state version); each write says which number it is, so a
// retried activity writes nothing twice and a late one never moves a record backwards.

export interface Transition<S extends string = OrderStatus> {
  version: number;
  status: S;
  detail?: Record<string, unknown>;
}
