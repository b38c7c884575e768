// The workflow bundle's entry point: every workflow type orderflow's workers run.
export { orderWorkflow } from './order';
