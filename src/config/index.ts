// The configuration module (SPEC §6): one registry, one loader, safe printing.
export { CONFIG_EXIT_CODE, ignoredLegacyNotice, loadConfigOrExit } from './cli.js';
export { ConfigError, loadConfig, mergeDotenv, parseConfig, readEnvironment } from './load.js';
export type { Config, Environment, EnvironmentSources, LoadOptions } from './load.js';
export { describeConfig, describeConfigJson, secretValues } from './redact.js';
export { PEER_VARIABLES, PEERS, missingPeers } from './sandbox.js';
export type { Peer, PeerVariables } from './sandbox.js';
export { renderConfigReference, renderEnvExample } from './reference.js';
export { GROUPS, VARIABLES, VARIABLE_LIST } from './variables.js';
export type { VariableDefinition, VariableGroup, VariableName } from './variables.js';
