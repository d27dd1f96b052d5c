// ALERT-1 message text: plain text (sent without parse_mode, so `_` or `*` in a subject cannot
// break it), in Russian, starting with the level marker and naming the kind, the incident id and
// Tracker key where applicable; at most 4096 characters.

export type AlertLevel = 'info' | 'warning' | 'error';

export const LEVEL_MARKERS: Record<AlertLevel, string> = {
  info: '💡 INFO',
  warning: '⚠️ WARNING',
  error: '🥊 ERROR',
};

/** Telegram's limit, counted in UTF-16 code units as the Bot API does. */
export const MAX_ALERT_LENGTH = 4096;

export interface AlertMessage {
  level: AlertLevel;
  kind: string;
  incidentId?: number | null;
  issueKey?: string | null;
  text: string;
  /** ALERT-2: repeats of this key suppressed since the previous alert. */
  suppressed?: number;
}

export function formatAlert(message: AlertMessage): string {
  const lines = [`${LEVEL_MARKERS[message.level]} · ${message.kind}`];
  const incident = [
    message.incidentId !== undefined && message.incidentId !== null ? `#${message.incidentId}` : null,
    message.issueKey ? message.issueKey : null,
  ].filter((part): part is string => part !== null);
  if (incident.length > 0) lines.push(`Инцидент: ${incident.join(', ')}`);
  lines.push('', message.text.trim());
  if (message.suppressed !== undefined && message.suppressed > 0)
    lines.push('', `Повторов подавлено с прошлого уведомления: ${message.suppressed}`);
  return truncateAlert(lines.join('\n'));
}

export function formatRecovery(kind: string, text: string, suppressed: number): string {
  const lines = [`${LEVEL_MARKERS.info} · ${kind}`, '', `Восстановлено. ${text}`.trim()];
  if (suppressed > 0) lines.push('', `Повторов подавлено с прошлого уведомления: ${suppressed}`);
  return truncateAlert(lines.join('\n'));
}

/** Cuts to MAX_ALERT_LENGTH with `...`, never splitting a surrogate pair. */
export function truncateAlert(text: string): string {
  if (text.length <= MAX_ALERT_LENGTH) return text;
  let end = MAX_ALERT_LENGTH - 3;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}...`;
}
