/**
 * Workflow bundle of the bench worker: the project's workflows, unchanged, and the control fan-out.
 */
export * from '../src/workflows';
export { benchControlFanOut } from './control-workflows';
