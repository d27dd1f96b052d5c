// Public surface of the Tracker sandbox (emulator, seed, env for DISPATCH).
export { startTrackerEmulator } from './emulator.js';
export type { IssueHistory, TrackerEmulator, TrackerEmulatorOptions } from './emulator.js';
export { buildTrackerSeed, trackerSandboxEnv } from './seed.js';
export type {
  ConfigurableStatusKeys,
  SandboxOAuth,
  TrackerSandboxEnv,
  TrackerSeed,
  TrackerSeedOptions,
} from './seed.js';
export type { FaultRule, FaultRuleInput } from './faults.js';
export type { RequestLogEntry } from './request-log.js';
export type { StatusChangedPayload, WebhookConfig, WebhookDelivery } from './webhook.js';
export type {
  AssignAction,
  CommentAction,
  CreateAction,
  DispatcherActions,
  TransitionAction,
  UpdateAction,
} from './dispatcher.js';
