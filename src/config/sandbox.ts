// Which external peers are not configured at all, so that the local start command can run sandbox
// peers for them (ARCHITECTURE §6) and fill in their variables before calling loadConfig.
import { PEERS, VARIABLE_LIST, isSet } from './variables.js';
import type { Peer, VariableName } from './variables.js';

export type { Peer } from './variables.js';
export { PEERS } from './variables.js';

export interface PeerVariables {
  /** Variables without a default: set none of them and the peer is "missing". */
  readonly identifying: readonly VariableName[];
  /** Every variable that points at the peer (the sandbox sets these, e.g. base URLs and ports). */
  readonly all: readonly VariableName[];
}

const peerVariables = (peer: Peer): PeerVariables => {
  const all = VARIABLE_LIST.filter((variable) => variable.peer === peer);
  return {
    identifying: all
      .filter((variable) => variable.default.kind === 'required' || variable.default.kind === 'paired')
      .map((variable) => variable.name),
    all: all.map((variable) => variable.name),
  };
};

/**
 * Per peer: `imap` = PARSING_EMAIL_* (SMTP included, same mailbox), `tracker` = YT_* connection,
 * credentials, field ids and status keys, `towerstore` = TS_*_URL, `telegram` = TG_*.
 */
export const PEER_VARIABLES: Readonly<Record<Peer, PeerVariables>> = {
  imap: peerVariables('imap'),
  tracker: peerVariables('tracker'),
  towerstore: peerVariables('towerstore'),
  telegram: peerVariables('telegram'),
};

/**
 * Peers none of whose identifying variables is set (blank counts as unset). A partly configured
 * peer is not missing: loadConfig reports its unset variables as problems.
 */
export function missingPeers(env: Readonly<Record<string, string | undefined>>): Peer[] {
  return PEERS.filter((peer) => PEER_VARIABLES[peer].identifying.every((name) => !isSet(env[name])));
}
