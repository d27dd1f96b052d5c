// Entry point of the workflow bundle: every workflow type the worker runs.
export { incidentWorkflow } from './incident.js';
