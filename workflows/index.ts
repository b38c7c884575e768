// The workflow bundle's entry point: every workflow type orderflow's workers run, one
// folder each (see workflows/README.md). Adding a workflow adds one line here.
export { orderWorkflow } from './order/workflow';
export { settlementWorkflow } from './settlement/workflow';
export { settlementLauncher } from './settlement/launcher';
export { collectionWorkflow } from './collection/workflow';
export { complaintWorkflow } from './complaint/workflow';
export { replenishmentWorkflow } from './replenishment/workflow';
