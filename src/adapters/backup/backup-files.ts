// BAK-1 / BAK-3 backup file names: `backup_<db>_<YYYY-MM-DD_HH-mm>.dump` (legacy `.sql` too), the
// timestamp in the configured time zone (GEN-6), and which files retention deletes.

import { wallClock } from '../../domain/datetime.js';

const NAME = /^backup_(.+)_(\d{4})-(\d{2})-(\d{2})_(\d{2})-(\d{2})\.(dump|sql)$/;

export function backupFileName(database: string, instant: Date, timeZone: string): string {
  const t = wallClock(instant, timeZone);
  return `backup_${database}_${t.year}-${t.month}-${t.day}_${t.hour}-${t.minute}.dump`;
}

/** Offset (ms) of `timeZone` from UTC at `instant`. */
function zoneOffsetMs(instant: Date, timeZone: string): number {
  const t = wallClock(instant, timeZone);
  const asUtc = Date.UTC(Number(t.year), Number(t.month) - 1, Number(t.day), Number(t.hour), Number(t.minute));
  return asUtc - Math.floor(instant.getTime() / 60_000) * 60_000;
}

/** The instant a backup file name stands for, or null for other files. */
export function backupFileTime(fileName: string, timeZone: string): Date | null {
  const m = NAME.exec(fileName);
  if (!m) return null;
  const [, , y, mo, d, h, mi] = m.map(Number);
  const wall = Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 1, h ?? 0, mi ?? 0);
  if (Number.isNaN(wall)) return null;
  // Two passes settle the offset around DST changes.
  const first = wall - zoneOffsetMs(new Date(wall), timeZone);
  return new Date(wall - zoneOffsetMs(new Date(first), timeZone));
}

/**
 * BAK-3: backup files (`backup_*.dump`, legacy `backup_*.sql`) older than `retentionDays`, never
 * `keep` (the newest verified backup).
 */
export function filesToDelete(
  fileNames: readonly string[],
  now: Date,
  retentionDays: number,
  timeZone: string,
  keep: string | null,
): string[] {
  const cutoff = now.getTime() - retentionDays * 86_400_000;
  return fileNames.filter((name) => {
    if (name === keep) return false;
    const time = backupFileTime(name, timeZone);
    return time !== null && time.getTime() < cutoff;
  });
}
