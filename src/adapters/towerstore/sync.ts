// One TowerStore sync run (SPEC §18): download and validate all three feeds (TS-2…TS-4), run the
// anomaly guard (TS-5), apply in one transaction (TS-6), record the run (TS-8) and report the
// incidents to refresh (TS-9). Feeds are handled one at a time and the raw rows are dropped as soon
// as they are validated, so a large directory is never held in several copies.
import type { Config } from '../../config/load.js';
import type { Logger } from '../../logger.js';
import type { DbPool } from '../db/pool.js';
import { applyDirectoryFeeds } from '../db/directory-sync.js';
import type { DirectoryApplyResult } from '../db/directory-sync.js';
import { finishTowerStoreRun, lastAcceptedCounts, startTowerStoreRun } from '../db/run-records.js';
import type { TowerStoreFeedCounts } from '../db/run-records.js';
import type { AlertInput } from '../telegram/alerts.js';
import { downloadFeed, parseFeedJson } from './download.js';
import { FEED_TITLES, checkFeedAnomalies, describeRefusal } from './guard.js';
import { checkFeedShape, validateAvr, validateBaseStations, validatePoles } from './validate.js';
import type { FeedCounts, FeedName } from './validate.js';

export interface TowerStoreSyncDependencies {
  config: Pick<Config, 'towerStore'>;
  db: DbPool;
  log: Logger;
  /** Liveness signal for long downloads and applies (activity heartbeat). */
  heartbeat?: (detail: string) => void;
}

export interface TowerStoreSyncResult {
  runId: number;
  status: 'applied' | 'refused' | 'failed';
  counts: Partial<Record<FeedName, TowerStoreFeedCounts>>;
  reason: string | null;
  changedIncidentIds: number[];
  /** The TS-8 alert for this outcome. */
  alert: AlertInput;
}

class FeedFailure extends Error {
  constructor(
    readonly feed: FeedName,
    reason: string,
  ) {
    super(`${FEED_TITLES[feed]}: ${reason}`);
  }
}

export async function runTowerStoreSync(deps: TowerStoreSyncDependencies): Promise<TowerStoreSyncResult> {
  const { config, db } = deps;
  const heartbeat = deps.heartbeat ?? (() => undefined);
  const runId = await startTowerStoreRun(db);
  const log = deps.log.child({ towerStoreRunId: runId });
  const counts: Partial<Record<FeedName, TowerStoreFeedCounts>> = {};
  const validCounts = (c: FeedCounts): TowerStoreFeedCounts => ({ ...c, inserted: 0, updated: 0, deleted: 0 });
  const t0 = Date.now();

  const fetchRows = async (feed: FeedName, url: string): Promise<Record<string, unknown>[]> => {
    try {
      const body = await downloadFeed(url, {
        timeoutMs: config.towerStore.httpTimeoutSeconds * 1000,
        maxBytes: config.towerStore.maxFeedBytes,
        onProgress: (bytes) => heartbeat(`${feed}: ${bytes} bytes`),
      });
      let parsed: unknown;
      try {
        parsed = parseFeedJson(body);
      } catch (err) {
        throw new FeedFailure(feed, `invalid JSON (${err instanceof Error ? err.message : String(err)})`);
      }
      return checkFeedShape(feed, parsed);
    } catch (err) {
      if (err instanceof FeedFailure) throw err;
      throw new FeedFailure(feed, err instanceof Error ? err.message : String(err));
    }
  };

  try {
    const poles = validatePoles(await fetchRows('poles', config.towerStore.polesUrl));
    counts.poles = validCounts(poles.counts);
    heartbeat('poles validated');
    const avr = validateAvr(await fetchRows('avr', config.towerStore.avrUrl));
    counts.avr = validCounts(avr.counts);
    heartbeat('avr validated');
    const poleCodes = new Set(poles.records.map((p) => p.pole));
    const bs = validateBaseStations(await fetchRows('bs', config.towerStore.baseStationsUrl), poleCodes);
    poleCodes.clear();
    counts.bs = validCounts(bs.counts);
    heartbeat('bs validated');

    const refusals = checkFeedAnomalies(
      { poles: poles.counts.valid, avr: avr.counts.valid, bs: bs.counts.valid },
      await lastAcceptedCounts(db),
      config.towerStore.maxShrinkRatio,
    );
    if (refusals.length > 0) {
      const reason = refusals.map(describeRefusal).join('; ');
      await finishTowerStoreRun(db, runId, { status: 'refused', refusalReason: reason, counts });
      log.warn({ alert: 'towerstore.refused', refusals }, 'TowerStore sync refused by the anomaly guard');
      return {
        runId,
        status: 'refused',
        counts,
        reason,
        changedIncidentIds: [],
        alert: {
          level: 'error',
          kind: 'towerstore.refused',
          text: `Синхронизация TowerStore отклонена (запуск ${runId}): ${reason}. Справочник не изменён.`,
        },
      };
    }

    const applied = await applyDirectoryFeeds(
      db,
      { poles: poles.records, contractors: avr.contractors, assignments: avr.assignments, baseStations: bs.records },
      (step) => heartbeat(`applying ${step}`),
    );
    mergeApplied(counts, applied);
    await finishTowerStoreRun(db, runId, { status: 'applied', counts });
    const seconds = ((Date.now() - t0) / 1000).toFixed(1);
    log.info({ counts, changedIncidents: applied.changedIncidentIds.length, seconds }, 'TowerStore sync applied');
    return {
      runId,
      status: 'applied',
      counts,
      reason: null,
      changedIncidentIds: applied.changedIncidentIds,
      alert: {
        level: 'info',
        kind: 'towerstore.sync',
        // Every run's summary is sent: keyed by run, not de-duplicated against the previous day.
        subject: `run ${runId}`,
        text: summaryText(runId, counts, applied, seconds),
      },
    };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    await finishTowerStoreRun(db, runId, { status: 'failed', error: reason, counts }).catch((recordErr: unknown) =>
      log.error({ err: recordErr }, 'TowerStore run record not finished'),
    );
    log.error({ alert: 'towerstore.failed', reason }, 'TowerStore sync failed');
    return {
      runId,
      status: 'failed',
      counts,
      reason,
      changedIncidentIds: [],
      alert: {
        level: 'error',
        kind: 'towerstore.failed',
        text: `Синхронизация TowerStore не выполнена (запуск ${runId}): ${reason}. Справочник не изменён.`,
      },
    };
  }
}

function mergeApplied(counts: Partial<Record<FeedName, TowerStoreFeedCounts>>, applied: DirectoryApplyResult): void {
  for (const feed of ['poles', 'avr', 'bs'] as const) {
    const target = counts[feed];
    if (!target) continue;
    target.inserted = applied[feed].inserted;
    target.updated = applied[feed].updated;
    target.deleted = applied[feed].deleted;
  }
}

function summaryText(
  runId: number,
  counts: Partial<Record<FeedName, TowerStoreFeedCounts>>,
  applied: DirectoryApplyResult,
  seconds: string,
): string {
  const line = (feed: FeedName): string => {
    const c = counts[feed];
    if (!c) return `${FEED_TITLES[feed]}: нет данных`;
    return (
      `${FEED_TITLES[feed]}: загружено ${c.downloaded}, принято ${c.valid}, пропущено ${c.skipped}, ` +
      `добавлено ${c.inserted}, изменено ${c.updated}, удалено ${c.deleted}, предупреждений ${c.warnings}`
    );
  };
  return [
    `Синхронизация TowerStore выполнена (запуск ${runId}, ${seconds} с).`,
    line('poles'),
    line('avr'),
    line('bs'),
    `Опор переназначено подрядчикам: ${applied.avr.polesReassigned}; операторов удалено: ${applied.bs.operatorsDeleted}.`,
    `Открытых инцидентов к обновлению: ${applied.changedIncidentIds.length}.`,
  ].join('\n');
}
