// NOISE-4 sender patterns (`MAIL_SENDER_ALLOW`, `MAIL_SENDER_DENY`): full addresses or domains
// written `@domain` / `*@domain`, compared case-insensitively (GEN-9). The configuration module
// splits and validates the comma list; this only matches.

/** True when `address` matches any pattern (an exact address, or `@domain` / `*@domain`). */
export function senderMatches(address: string, patterns: readonly string[]): boolean {
  const sender = address.trim().toLowerCase();
  const at = sender.lastIndexOf('@');
  const domain = at < 0 ? null : sender.slice(at + 1);
  for (const raw of patterns) {
    const pattern = raw.trim().toLowerCase();
    if (pattern === '') continue;
    const domainPattern = pattern.startsWith('*@')
      ? pattern.slice(2)
      : pattern.startsWith('@')
        ? pattern.slice(1)
        : null;
    if (domainPattern === null ? pattern === sender : domainPattern === domain) return true;
  }
  return false;
}

/** NOISE-4: an empty allow list permits everyone to open incidents. */
export function senderMayOpenIncident(address: string, allowList: readonly string[]): boolean {
  return allowList.every((p) => p.trim() === '') || senderMatches(address, allowList);
}
