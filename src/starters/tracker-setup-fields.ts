// YT-5 setup command: the local-id field is named "Local ID", the e-mail-ids field "Local emails IDs",
// and both are writable and hidden from the issue page (`readonly = false`, `visible = false`).
// Idempotent: a field already set up is not written. Run by an admin only: the product never
// toggles field settings at run time.
import { z } from 'zod';
import type { TrackerClient, TrackerConfig } from '../adapters/tracker/index.js';

export interface WantedFieldSettings {
  name: string;
  readonly: false;
  visible: false;
}

export interface FieldSetupOutcome {
  fieldId: string;
  variable: string;
  /** The settings found before any change. */
  before: { name: string; readonly: boolean; visible: boolean; version: number };
  wanted: WantedFieldSettings;
  /** Which settings differ (empty: already set up). */
  changes: Array<'name' | 'readonly' | 'visible'>;
  /** True when this run wrote the settings (never in a dry run). */
  written: boolean;
}

const fieldSettingsSchema = z.looseObject({
  id: z.string(),
  name: z.union([z.string(), z.record(z.string(), z.string())]).optional(),
  readonly: z.boolean().optional(),
  visible: z.boolean().optional(),
  version: z.number(),
});

function shownName(name: string | Record<string, string> | undefined): string {
  if (name === undefined) return '';
  if (typeof name === 'string') return name;
  return name['en'] ?? name['ru'] ?? Object.values(name)[0] ?? '';
}

/** The two fields of YT-5 with their variable names and wanted settings. */
export function wantedFieldSettings(
  tracker: TrackerConfig,
): Array<{ fieldId: string; variable: string; wanted: WantedFieldSettings }> {
  return [
    {
      fieldId: tracker.fieldIds.localId,
      variable: 'YT_DATABASE_ID_GLOBAL_FIELD_ID',
      wanted: { name: 'Local ID', readonly: false, visible: false },
    },
    {
      fieldId: tracker.fieldIds.localEmailsIds,
      variable: 'YT_EMAILS_IDS_GLOBAL_FIELD_ID',
      wanted: { name: 'Local emails IDs', readonly: false, visible: false },
    },
  ];
}

const enc = encodeURIComponent;

/** Reads both fields and, unless `dryRun`, PATCHes those that differ (with the field's version). */
export async function setupTrackerFields(
  client: TrackerClient,
  tracker: TrackerConfig,
  options: { dryRun: boolean },
): Promise<FieldSetupOutcome[]> {
  const outcomes: FieldSetupOutcome[] = [];
  for (const { fieldId, variable, wanted } of wantedFieldSettings(tracker)) {
    const res = await client.http.send({ path: `/v2/fields/${enc(fieldId)}` });
    const parsed = fieldSettingsSchema.safeParse(res.body);
    if (!parsed.success)
      throw new Error(
        `Tracker answered an unexpected field ${fieldId}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      );
    const field = parsed.data;
    const before = {
      name: shownName(field.name),
      readonly: field.readonly ?? false,
      visible: field.visible ?? true,
      version: field.version,
    };
    const changes: FieldSetupOutcome['changes'] = [];
    if (before.name !== wanted.name) changes.push('name');
    if (before.readonly !== wanted.readonly) changes.push('readonly');
    if (before.visible !== wanted.visible) changes.push('visible');
    let written = false;
    if (changes.length > 0 && !options.dryRun) {
      await client.http.send({
        method: 'PATCH',
        path: `/v2/fields/${enc(fieldId)}?version=${field.version}`,
        json: { name: { en: wanted.name, ru: wanted.name }, readonly: wanted.readonly, visible: wanted.visible },
      });
      written = true;
    }
    outcomes.push({ fieldId, variable, before, wanted, changes, written });
  }
  return outcomes;
}

export function formatFieldSetup(outcomes: readonly FieldSetupOutcome[], dryRun: boolean): string[] {
  return outcomes.map((o) => {
    const target = `field ${o.fieldId} (${o.variable})`;
    if (o.changes.length === 0) {
      return `${target}: already set up (name "${o.wanted.name}", readonly=false, visible=false)`;
    }
    const diff = o.changes
      .map((c) =>
        c === 'name' ? `name "${o.before.name}" → "${o.wanted.name}"` : `${c} ${String(o.before[c])} → false`,
      )
      .join(', ');
    return `${target}: ${dryRun ? 'would change' : 'changed'} ${diff}`;
  });
}
