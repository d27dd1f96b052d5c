// Activity through which workflows raise Telegram alerts (SPEC §19). Never fails: the Alerts
// service logs and swallows Bot API and database problems (ALERT-1).
import { createAlerts } from '../adapters/telegram/alerts.js';
import type { AlertInput, AlertOutcome } from '../adapters/telegram/alerts.js';
import type { ActivityDependencies } from './index.js';

export function createAlertActivities(deps: ActivityDependencies) {
  const alerts = deps.alerts ?? createAlerts({ config: deps.config, db: deps.db, log: deps.log });
  return {
    async sendAlert(input: AlertInput): Promise<AlertOutcome> {
      return alerts.alert(input);
    },
  };
}
