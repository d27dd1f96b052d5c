// Doctor: Tracker authorisation (GET /v2/myself) and the YT-5 setup check (queue, statuses, fields,
// dropdown values). Tokens come from the product's DB, as the worker uses them (YT-3).
import { createDbPool } from '../../adapters/db/pool.js';
import { incidentTypeNames } from '../../adapters/db/incident-store.js';
import { TrackerClient, TrackerError, checkTrackerSetup } from '../../adapters/tracker/index.js';
import { DbTokenSource } from '../../adapters/tracker/tokens.js';
import type { Config } from '../../config/load.js';
import type { Logger } from '../../logger.js';
import { CHECK_TIMEOUT_MS, errorMessage, fail, ok, runCheck, warn, type CheckResult } from './verdicts.js';

export function checkTracker(config: Config, log: Logger): Promise<CheckResult[]> {
  const { tracker } = config;
  const reachFix = `check YT_API_BASE_URL (now ${tracker.apiBaseUrl}) and the network path to Tracker`;
  return runCheck('tracker', reachFix, async () => {
    const db = await createDbPool(config.database.url, { maxPoolSize: 1, statementTimeoutMs: CHECK_TIMEOUT_MS });
    const client = new TrackerClient({
      baseUrl: tracker.apiBaseUrl,
      orgId: tracker.organizationId,
      timeoutMs: CHECK_TIMEOUT_MS - 1_000,
      tokens: new DbTokenSource(
        db,
        {
          tokenUrl: tracker.oauthTokenUrl,
          clientId: tracker.clientId,
          clientSecret: tracker.clientSecret,
          accessToken: tracker.accessToken,
          refreshToken: tracker.refreshToken,
        },
        log,
      ),
    });
    try {
      let login: string;
      try {
        login = (await client.myself()).login;
      } catch (error) {
        if (error instanceof TrackerError && (error.status === 401 || error.status === 403)) {
          return [
            fail(
              'tracker',
              `Tracker refused the robot's token: ${error.message}`,
              'issue new tokens for the robot (YT_ACCESS_TOKEN / YT_REFRESH_TOKEN) and check YT_ORGANIZATION_ID',
            ),
          ];
        }
        return [fail('tracker', `Tracker at ${tracker.apiBaseUrl} not usable: ${errorMessage(error)}`, reachFix)];
      }
      const results = [ok('tracker', `authorised as ${login} at ${tracker.apiBaseUrl}`)];
      const report = await checkTrackerSetup(client, tracker, await incidentTypeNames(db));
      const errors = report.findings.filter((f) => f.level === 'error').map((f) => f.message);
      const warnings = report.findings.filter((f) => f.level === 'warning').map((f) => f.message);
      if (errors.length > 0) {
        results.push(
          fail(
            'tracker setup',
            errors.join('; '),
            `create the missing statuses/fields/values in queue ${tracker.queue} or fix the YT_* variables named (details: dispatch tracker check)`,
          ),
        );
      } else if (warnings.length > 0) {
        results.push(
          warn(
            'tracker setup',
            warnings.join('; '),
            'add the incident types as values of the problem-type field (dispatch tracker check)',
          ),
        );
      } else {
        results.push(ok('tracker setup', `queue ${tracker.queue}: statuses, fields and values present (YT-5)`));
      }
      return results;
    } finally {
      await client.close();
      await db.end();
    }
  });
}
