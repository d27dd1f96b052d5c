// The Alerts service every area raises Telegram alerts through (SPEC §19). It never throws:
// a failing Bot API or database is logged and business processing goes on (ALERT-1).
import type { DbPool } from '../db/pool.js';
import { clearAlertState, recordAlertOccurrence } from '../db/run-records-alerts.js';
import type { AlertKey } from '../db/run-records-alerts.js';
import type { Config } from '../../config/load.js';
import type { Logger } from '../../logger.js';
import { createTelegramBot } from './bot-api.js';
import type { TelegramBot } from './bot-api.js';
import { formatAlert, formatRecovery } from './format.js';
import type { AlertLevel } from './format.js';

export interface AlertInput {
  level: AlertLevel;
  /** Stable machine name, e.g. `towerstore.refused`, `imap.down`, `sla.breach`. */
  kind: string;
  incidentId?: number | null;
  issueKey?: string | null;
  /** De-duplication subject when the alert is not about one incident (e.g. a folder name). */
  subject?: string | null;
  text: string;
}

export type AlertOutcome = 'sent' | 'suppressed' | 'failed' | 'disabled';

export interface Alerts {
  alert(input: AlertInput): Promise<AlertOutcome>;
  /** ALERT-2: one recovery message if `kind` (for `subject`) was alerted, and its state reset. */
  recovered(kind: string, subject?: string | null, text?: string): Promise<AlertOutcome | 'nothing-to-recover'>;
}

export interface AlertsDependencies {
  config: Pick<Config, 'telegram'>;
  db: DbPool;
  log: Logger;
  now?: () => Date;
  /** Tests: a bot with short retry delays. */
  bot?: TelegramBot;
}

export function createAlerts(deps: AlertsDependencies): Alerts {
  const { config, db } = deps;
  const log = deps.log.child({ component: 'alerts' });
  const now = deps.now ?? (() => new Date());
  const cooldownMs = config.telegram.alertCooldownMinutes * 60_000;
  const bot =
    deps.bot ??
    (config.telegram.enabled
      ? createTelegramBot({
          apiBaseUrl: config.telegram.apiBaseUrl,
          token: config.telegram.token,
          chatId: config.telegram.chatId,
          log,
        })
      : null);

  const keyOf = (input: AlertInput): AlertKey => ({
    kind: input.kind,
    incidentId: input.incidentId ?? null,
    subject: input.subject ?? '',
  });

  return {
    async alert(input) {
      const context = { alert: input.kind, incidentId: input.incidentId, issueKey: input.issueKey };
      if (bot === null) {
        log.info({ ...context, level: input.level, text: input.text }, 'alert (Telegram disabled)');
        return 'disabled';
      }
      try {
        const decision = await recordAlertOccurrence(db, keyOf(input), now(), cooldownMs);
        if (!decision.send) {
          log.info({ ...context, suppressed: decision.suppressed }, 'alert suppressed by cool-down');
          return 'suppressed';
        }
        const sent = await bot.send(formatAlert({ ...input, suppressed: decision.suppressed }));
        log.info({ ...context, sent }, 'alert');
        return sent ? 'sent' : 'failed';
      } catch (err) {
        log.error({ ...context, err }, 'alert failed');
        return 'failed';
      }
    },
    async recovered(kind, subject, text = '') {
      if (bot === null) return 'disabled';
      try {
        const suppressed = await clearAlertState(db, { kind, incidentId: null, subject: subject ?? '' });
        if (suppressed === null) return 'nothing-to-recover';
        const sent = await bot.send(formatRecovery(kind, text, suppressed));
        log.info({ alert: kind, subject, sent }, 'recovery alert');
        return sent ? 'sent' : 'failed';
      } catch (err) {
        log.error({ alert: kind, err }, 'recovery alert failed');
        return 'failed';
      }
    },
  };
}
