// The schema (DATA-1…DATA-10) and its runner, against the run's embedded PostgreSQL: each database used
// here is created fresh (random name) and dropped at the end.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createDatabase, databaseUrl, dropDatabase } from '../../src/adapters/db/admin.js';
import { defaultMigrationsDir, migrate, MigrationError } from '../../src/adapters/db/migrate.js';
import { ENV_PG_ADMIN_URL, requireEnv } from '../support/services.js';

const adminUrl = requireEnv(ENV_PG_ADMIN_URL);
const databases: string[] = [];

async function freshDatabase(): Promise<string> {
  const name = `dispatch_test_${randomBytes(6).toString('hex')}`;
  await createDatabase(adminUrl, name);
  databases.push(name);
  return databaseUrl(adminUrl, name);
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

async function query<R extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const client = await connect(url);
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

async function publicTables(url: string): Promise<string[]> {
  const rows = await query<{ table_name: string }>(
    url,
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
  );
  return rows.map((row) => row.table_name);
}

async function migrationFileNames(): Promise<string[]> {
  return (await readdir(defaultMigrationsDir())).filter((name) => name.endsWith('.sql')).sort();
}

afterAll(async () => {
  for (const name of databases) await dropDatabase(adminUrl, name);
});

describe('migration runner', () => {
  let url: string;
  let files: string[];

  beforeAll(async () => {
    url = await freshDatabase();
    files = await migrationFileNames();
  });

  test('applies every migration file in file-name order to an empty database', async () => {
    expect(files.length).toBeGreaterThanOrEqual(4);

    const result = await migrate(url);

    expect(result).toEqual({ applied: files, alreadyApplied: 0 });
    const rows = await query<{ version: string; name: string; checksum: string }>(
      url,
      'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
    );
    const expected = await Promise.all(
      files.map(async (file) => {
        const sql = await readFile(path.join(defaultMigrationsDir(), file), 'utf8');
        return {
          version: file.slice(0, 4),
          name: file.slice(5, -'.sql'.length),
          checksum: createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex'),
        };
      }),
    );
    expect(rows).toEqual(expected);
    expect(await publicTables(url)).toEqual(
      expect.arrayContaining(['incidents', 'emails', 'outbox', 'poles', 'dispatchers', 'schema_migrations']),
    );
  });

  test('re-running is a no-op: nothing applied, same tables, same records', async () => {
    const tablesBefore = await publicTables(url);
    const recordsBefore = await query(url, 'SELECT * FROM schema_migrations ORDER BY version');

    const result = await migrate(url);

    expect(result).toEqual({ applied: [], alreadyApplied: files.length });
    expect(await publicTables(url)).toEqual(tablesBefore);
    expect(await query(url, 'SELECT * FROM schema_migrations ORDER BY version')).toEqual(recordsBefore);
  });

  describe('with a copy of the migrations directory', () => {
    let dir: string;

    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'dispatch-migrations-'));
      await cp(defaultMigrationsDir(), dir, { recursive: true });
    });

    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    test('an applied file whose content changed is refused, naming the file, before anything is applied', async () => {
      const edited = files[0] as string;
      const original = await readFile(path.join(dir, edited), 'utf8');
      await appendFile(path.join(dir, edited), '\n-- edited after release\n');
      await writeFile(path.join(dir, '0900_probe_table.sql'), 'CREATE TABLE migration_probe (id integer);\n');
      try {
        const failure = migrate(url, { migrationsDir: dir });

        await expect(failure).rejects.toBeInstanceOf(MigrationError);
        await expect(failure).rejects.toMatchObject({
          file: edited,
          message: expect.stringContaining(`migration ${edited} was changed after it was applied`) as unknown,
        });
        expect(await publicTables(url)).not.toContain('migration_probe');
      } finally {
        await writeFile(path.join(dir, edited), original);
        await rm(path.join(dir, '0900_probe_table.sql'));
      }
    });

    test('a failing file is rolled back whole and reported with its name', async () => {
      await writeFile(path.join(dir, '0901_broken.sql'), 'CREATE TABLE migration_probe (id integer);\nSELECT 1 / 0;\n');
      try {
        const failure = migrate(url, { migrationsDir: dir });

        await expect(failure).rejects.toMatchObject({
          file: '0901_broken.sql',
          message: 'migration 0901_broken.sql failed: division by zero',
        });
        expect(await publicTables(url)).not.toContain('migration_probe');
        expect(await query(url, `SELECT 1 FROM schema_migrations WHERE version = '0901'`)).toEqual([]);
      } finally {
        await rm(path.join(dir, '0901_broken.sql'));
      }
    });

    test('a database migrated by a newer release (unknown applied file) is refused', async () => {
      const database = await freshDatabase();
      await writeFile(path.join(dir, '0902_newer_release.sql'), 'CREATE TABLE newer_release (id integer);\n');
      try {
        expect(await migrate(database, { migrationsDir: dir })).toEqual({
          applied: [...files, '0902_newer_release.sql'],
          alreadyApplied: 0,
        });
      } finally {
        await rm(path.join(dir, '0902_newer_release.sql'));
      }

      await expect(migrate(database, { migrationsDir: dir })).rejects.toMatchObject({
        file: '0902_newer_release.sql',
        message: 'the database has migration 0902_newer_release.sql applied, which this release does not contain',
      });
    });

    test('a file name outside NNNN_name.sql is refused', async () => {
      await writeFile(path.join(dir, '12_Bad-Name.sql'), 'SELECT 1;\n');
      try {
        await expect(migrate(url, { migrationsDir: dir })).rejects.toMatchObject({
          file: '12_Bad-Name.sql',
          message: 'migration file name 12_Bad-Name.sql does not match NNNN_name.sql',
        });
      } finally {
        await rm(path.join(dir, '12_Bad-Name.sql'));
      }
    });
  });

  test('two processes migrating at once serialise: both succeed, each file applied once', async () => {
    const database = await freshDatabase();

    const results = await Promise.all([migrate(database), migrate(database)]);

    const sorted = [...results].sort((a, b) => b.applied.length - a.applied.length);
    expect(sorted).toEqual([
      { applied: files, alreadyApplied: 0 },
      { applied: [], alreadyApplied: files.length },
    ]);
    expect(await query(database, 'SELECT version FROM schema_migrations')).toHaveLength(files.length);
  });
});

describe('schema constraints', () => {
  let client: pg.Client;

  beforeAll(async () => {
    const url = await freshDatabase();
    await migrate(url);
    client = await connect(url);
  });

  afterAll(async () => {
    await client.end();
  });

  async function one<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R> {
    const { rows } = await client.query<R>(text, values);
    const [row] = rows;
    if (!row) throw new Error(`no row from: ${text}`);
    return row;
  }

  const insertIncident = async (code: string | null = null): Promise<number> =>
    (
      await one<{ id: number }>(
        `INSERT INTO incidents (code, registration_time, is_auto) VALUES ($1, now(), true) RETURNING id::int`,
        [code],
      )
    ).id;

  const insertEmail = async (messageId: string, incidentId: number | null = null): Promise<number> =>
    (
      await one<{ id: number }>(
        `INSERT INTO emails (message_id, effective_date, folder_role, classification, incident_id)
         VALUES ($1, now(), 'INBOX', 'normal', $2) RETURNING id::int`,
        [messageId, incidentId],
      )
    ).id;

  const statusId = async (name: string): Promise<number> =>
    (
      await one<{ id: number }>(
        `INSERT INTO incident_statuses (name) VALUES ($1)
         ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id::int`,
        [name],
      )
    ).id;

  test('DEF-4: the migration creates the default pole and the `undefined` contractor', async () => {
    const row = await one(
      `SELECT p.site_id::int, p.pole, p.bs_name, c.contractor_name
       FROM poles p JOIN contractors c ON c.id = p.avr_contractor_id`,
    );
    expect(row).toEqual({ site_id: 0, pole: 'undefined', bs_name: 'undefined', contractor_name: 'undefined' });
  });

  test('DEF-4: deleting the default pole or the `undefined` contractor leaves them in place', async () => {
    await client.query('DELETE FROM poles');
    await client.query('DELETE FROM contractors');

    expect((await client.query('SELECT pole FROM poles')).rows).toEqual([{ pole: 'undefined' }]);
    expect((await client.query('SELECT contractor_name FROM contractors')).rows).toEqual([
      { contractor_name: 'undefined' },
    ]);
  });

  test('DATA-9 / TS-6: poles of a deleted contractor move to the `undefined` contractor', async () => {
    const { id: contractorId } = await one<{ id: number }>(
      `INSERT INTO contractors (contractor_name) VALUES ('ООО Ремонт') RETURNING id::int`,
    );
    await client.query(
      `INSERT INTO poles (site_id, pole, bs_name, avr_contractor_id) VALUES (101, 'P-101', 'BS-101', $1)`,
      [contractorId],
    );
    await client.query(`INSERT INTO poles (site_id, pole, bs_name) VALUES (102, 'P-102', 'BS-102')`);

    await client.query('DELETE FROM contractors WHERE id = $1', [contractorId]);

    const { rows } = await client.query(
      `SELECT p.site_id::int, c.contractor_name FROM poles p JOIN contractors c ON c.id = p.avr_contractor_id
       WHERE p.site_id IN (101, 102) ORDER BY p.site_id`,
    );
    expect(rows).toEqual([
      { site_id: 101, contractor_name: 'undefined' },
      { site_id: 102, contractor_name: 'undefined' },
    ]);
  });

  test('DATA-9: contractor phones are exactly 11 digits', async () => {
    await client.query(`INSERT INTO contractor_phones (contractor_id, phone) VALUES (0, '89161234567')`);

    for (const phone of ['+79161234567', '9161234567', '891612345678']) {
      await expect(
        client.query(`INSERT INTO contractor_phones (contractor_id, phone) VALUES (0, $1)`, [phone]),
      ).rejects.toMatchObject({ code: '23514', constraint: 'contractor_phones_phone_check' });
    }
  });

  test('DATA-9: site_id and (pole, bs_name) are unique; a pole code is at most 32 characters', async () => {
    await expect(
      client.query(`INSERT INTO poles (site_id, pole, bs_name) VALUES (101, 'P-X', 'BS-X')`),
    ).rejects.toMatchObject({ code: '23505', constraint: 'poles_site_id_key' });
    await expect(
      client.query(`INSERT INTO poles (site_id, pole, bs_name) VALUES (103, 'P-101', 'BS-101')`),
    ).rejects.toMatchObject({ code: '23505', constraint: 'poles_pole_bs_name_key' });
    await expect(
      client.query(`INSERT INTO poles (site_id, pole, bs_name) VALUES (104, $1, 'BS')`, ['P'.repeat(33)]),
    ).rejects.toMatchObject({ code: '23514', constraint: 'poles_pole_check' });
  });

  test('DATA-9: operators are unique by (name, group), a NULL group counting as one value', async () => {
    await client.query(`INSERT INTO operators (operator_name, operator_group) VALUES ('МТС', NULL), ('МТС', 'ПАО')`);

    await expect(
      client.query(`INSERT INTO operators (operator_name, operator_group) VALUES ('МТС', NULL)`),
    ).rejects.toMatchObject({ code: '23505', constraint: 'operators_name_group_key' });
    await expect(
      client.query(`INSERT INTO operators (operator_name, operator_group) VALUES ('МТС', 'ПАО')`),
    ).rejects.toMatchObject({ code: '23505', constraint: 'operators_name_group_key' });
  });

  test('DATA-9: a base station name is unique per pole; the same name may sit on another pole', async () => {
    const poles = await client.query<{ id: number }>(
      `INSERT INTO poles (site_id, pole, bs_name) VALUES (301, '12345-MSK-01', 'MSK0123'), (302, '99999-SPB-01', 'MSK0123')
       RETURNING id::int`,
    );
    const [first, second] = poles.rows.map((row) => row.id);
    await client.query(`INSERT INTO base_stations (bs_name, pole_id) VALUES ('MSK0123', $1), ('MSK0123', $2)`, [
      first,
      second,
    ]);

    await expect(
      client.query(`INSERT INTO base_stations (bs_name, pole_id) VALUES ('MSK0123', $1)`, [first]),
    ).rejects.toMatchObject({ code: '23505', constraint: 'base_stations_pole_id_bs_name_key' });
  });

  test('TS-6 / CLEAN-2: deleting a pole keeps the incident and clears its pole and BS', async () => {
    const pole = await one<{ id: number }>(
      `INSERT INTO poles (site_id, pole, bs_name) VALUES (200, 'P-200', 'BS-200') RETURNING id::int`,
    );
    const bs = await one<{ id: number }>(
      `INSERT INTO base_stations (bs_name, pole_id) VALUES ('BS-200', $1) RETURNING id::int`,
      [pole.id],
    );
    const incidentId = await insertIncident();
    await client.query('UPDATE incidents SET pole_id = $1, base_station_id = $2 WHERE id = $3', [
      pole.id,
      bs.id,
      incidentId,
    ]);

    await client.query('DELETE FROM poles WHERE id = $1', [pole.id]);

    expect(await one('SELECT pole_id, base_station_id FROM incidents WHERE id = $1', [incidentId])).toEqual({
      pole_id: null,
      base_station_id: null,
    });
  });

  test('CLEAN-2: an incident with status history or linked e-mails cannot be deleted', async () => {
    const withHistory = await insertIncident();
    await client.query(
      `INSERT INTO incident_status_history (incident_id, status_id, source) VALUES ($1, $2, 'system')`,
      [withHistory, await statusId('Новый')],
    );
    const withEmail = await insertIncident();
    await insertEmail('<linked@example.ru>', withEmail);

    await expect(client.query('DELETE FROM incidents WHERE id = $1', [withHistory])).rejects.toMatchObject({
      code: '23503',
      constraint: 'incident_status_history_incident_id_fkey',
    });
    await expect(client.query('DELETE FROM incidents WHERE id = $1', [withEmail])).rejects.toMatchObject({
      code: '23503',
      constraint: 'emails_incident_id_fkey',
    });
  });

  test('DATA-1: the incident code is unique and at most 32 characters; finished_at needs is_finished', async () => {
    await insertIncident('AVRSERVICE-7');

    await expect(insertIncident('AVRSERVICE-7')).rejects.toMatchObject({
      code: '23505',
      constraint: 'incidents_code_key',
    });
    await expect(insertIncident('A'.repeat(33))).rejects.toMatchObject({
      code: '23514',
      constraint: 'incidents_code_check',
    });
    await expect(
      client.query(
        `INSERT INTO incidents (registration_time, is_auto, is_finished, finished_at) VALUES (now(), true, false, now())`,
      ),
    ).rejects.toMatchObject({ code: '23514', constraint: 'incidents_finished_at_only_when_finished' });
  });

  test('DATA-2: the current status is the history row with the greatest (inserted_at, id); none = `Новый`', async () => {
    const incidentId = await insertIncident();
    const [isNew, inWork, closed] = [await statusId('Новый'), await statusId('В работе'), await statusId('Закрыт')];
    const add = (status: number, at: string) =>
      client.query(
        `INSERT INTO incident_status_history (incident_id, status_id, inserted_at, source) VALUES ($1, $2, $3, 'tracker')`,
        [incidentId, status, at],
      );
    const current = async () =>
      (
        await one<{ status_name: string }>('SELECT status_name FROM incident_current_status WHERE incident_id = $1', [
          incidentId,
        ])
      ).status_name;

    expect(await current()).toBe('Новый');

    await add(closed, '2025-03-05T12:00:00Z');
    await add(isNew, '2025-03-05T10:00:00Z');
    expect(await current()).toBe('Закрыт');

    // Same instant: the later row (greater id) wins.
    await add(inWork, '2025-03-05T12:00:00Z');
    expect(await current()).toBe('В работе');
  });

  test('GEN-8: a status-history comment is at most 512 characters', async () => {
    const incidentId = await insertIncident();
    const status = await statusId('Ошибка');
    const insert = (comment: string) =>
      client.query(
        `INSERT INTO incident_status_history (incident_id, status_id, comment, source) VALUES ($1, $2, $3, 'system')`,
        [incidentId, status, comment],
      );

    await insert('я'.repeat(512));
    await expect(insert('я'.repeat(513))).rejects.toMatchObject({
      code: '23514',
      constraint: 'incident_status_history_comment_check',
    });
  });

  test('DATA-3 / MAIL-8: a Message-ID is stored once; it must be normalised with angle brackets', async () => {
    await insertEmail('<dup@example.ru>');

    await expect(insertEmail('<dup@example.ru>')).rejects.toMatchObject({
      code: '23505',
      constraint: 'emails_message_id_key',
    });
    await expect(insertEmail('bare@example.ru')).rejects.toMatchObject({
      code: '23514',
      constraint: 'emails_message_id_check',
    });
  });

  test('DATA-3 / GEN-8: subject at most 1024 characters, classification one of NOISE-1', async () => {
    const insert = (subject: string, classification: string) =>
      client.query(
        `INSERT INTO emails (message_id, subject, effective_date, folder_role, classification)
         VALUES ($1, $2, now(), 'INBOX', $3)`,
        [`<${randomBytes(4).toString('hex')}@example.ru>`, subject, classification],
      );

    await insert('Т'.repeat(1024), 'auto_reply');
    await expect(insert('Т'.repeat(1025), 'normal')).rejects.toMatchObject({
      code: '23514',
      constraint: 'emails_subject_check',
    });
    await expect(insert('Авария', 'spam')).rejects.toMatchObject({
      code: '23514',
      constraint: 'emails_classification_check',
    });
  });

  test('DATA-3: each recipient address once per kind (case-insensitively), order kept', async () => {
    const emailId = await insertEmail('<recipients@example.ru>');
    await client.query(
      `INSERT INTO email_recipients (email_id, kind, position, address) VALUES
       ($1, 'to', 0, 'b@example.ru'), ($1, 'to', 1, 'a@example.ru'), ($1, 'cc', 0, 'A@example.ru')`,
      [emailId],
    );

    await expect(
      client.query(
        `INSERT INTO email_recipients (email_id, kind, position, address) VALUES ($1, 'to', 2, 'A@Example.RU')`,
        [emailId],
      ),
    ).rejects.toMatchObject({ code: '23505', constraint: 'email_recipients_address_idx' });
    const { rows } = await client.query(
      `SELECT kind, address FROM email_recipients WHERE email_id = $1 ORDER BY kind DESC, position`,
      [emailId],
    );
    expect(rows).toEqual([
      { kind: 'to', address: 'b@example.ru' },
      { kind: 'to', address: 'a@example.ru' },
      { kind: 'cc', address: 'A@example.ru' },
    ]);
  });

  test('DATA-4: one attachment row per MIME part; the file name is at most 255 bytes', async () => {
    const emailId = await insertEmail('<attachments@example.ru>');
    const insert = (partIndex: number, name: string) =>
      client.query(
        `INSERT INTO attachments (email_id, part_index, kind, original_name, mime_type, size, sha256, status)
         VALUES ($1, $2, 'attachment', $3, 'application/pdf', 10, $4, 'stored')`,
        [emailId, partIndex, name, 'a'.repeat(64)],
      );

    await insert(1, 'ж'.repeat(127) + '.'); // 255 bytes
    await expect(insert(1, 'акт.pdf')).rejects.toMatchObject({
      code: '23505',
      constraint: 'attachments_email_id_part_index_key',
    });
    await expect(insert(2, 'ж'.repeat(128))).rejects.toMatchObject({
      code: '23514',
      constraint: 'attachments_original_name_check',
    });
  });

  test('DATA-5: one Tracker comment record per e-mail, state pending or posted', async () => {
    const emailId = await insertEmail('<comment@example.ru>');
    await client.query(`INSERT INTO tracker_comments (email_id, issue_key) VALUES ($1, 'AVRSERVICE-1')`, [emailId]);

    await expect(
      client.query(`INSERT INTO tracker_comments (email_id, issue_key) VALUES ($1, 'AVRSERVICE-1')`, [emailId]),
    ).rejects.toMatchObject({ code: '23505', constraint: 'tracker_comments_email_id_key' });
    await expect(
      client.query(`UPDATE tracker_comments SET state = 'sent' WHERE email_id = $1`, [emailId]),
    ).rejects.toMatchObject({ code: '23514', constraint: 'tracker_comments_state_check' });
  });

  test('DATA-6: mail failure states are open, resolved or abandoned', async () => {
    await client.query(
      `INSERT INTO mail_failures (folder_name, uidvalidity, uid, error, state) VALUES ('INBOX', 1, 7, 'empty message', 'abandoned')`,
    );

    await expect(
      client.query(
        `INSERT INTO mail_failures (folder_name, uidvalidity, uid, error, state) VALUES ('INBOX', 1, 8, 'x', 'retrying')`,
      ),
    ).rejects.toMatchObject({ code: '23514', constraint: 'mail_failures_state_check' });
  });

  test('DATA-7 / NOTIFY-3: one outbox row per (incident, kind, trigger key) and per Message-ID', async () => {
    const incidentId = await insertIncident();
    const insert = (messageId: string, kind: string, triggerKey: string, state = 'pending') =>
      client.query(
        `INSERT INTO outbox (message_id, incident_id, kind, trigger_key, to_addresses, subject, body, state)
         VALUES ($1, $2, $3, $4, ARRAY['noc@operator.ru'], 'Re: AVRSERVICE-1: Авария', 'Заявка принята', $5)`,
        [messageId, incidentId, kind, triggerKey, state],
      );

    await insert('<dispatch.ack.1.aaa@dispatch.example.ru>', 'ack', 'changelog-1');
    await insert('<dispatch.close.1.aaa@dispatch.example.ru>', 'close', 'changelog-1');

    await expect(insert('<dispatch.ack.1.bbb@dispatch.example.ru>', 'ack', 'changelog-1')).rejects.toMatchObject({
      code: '23505',
      constraint: 'outbox_incident_kind_trigger_key',
    });
    await expect(insert('<dispatch.ack.1.aaa@dispatch.example.ru>', 'ack', 'changelog-2')).rejects.toMatchObject({
      code: '23505',
      constraint: 'outbox_message_id_key',
    });
    await expect(
      insert('<dispatch.avr.1.ccc@dispatch.example.ru>', 'avr', 'changelog-3', 'queued'),
    ).rejects.toMatchObject({
      code: '23514',
      constraint: 'outbox_state_check',
    });
  });

  test('DATA-8: a dispatcher login is unique, at least 4 characters of [a-zA-Z0-9._-]', async () => {
    const insert = (login: string) => client.query('INSERT INTO dispatchers (login) VALUES ($1)', [login]);

    await insert('ivanov');
    await insert('p.petrov-2_x');

    await expect(insert('ivanov')).rejects.toMatchObject({ code: '23505', constraint: 'dispatchers_login_key' });
    for (const login of ['abc', 'iva nov', 'иванов', 'ivanov@corp', '']) {
      await expect(insert(login)).rejects.toMatchObject({ code: '23514', constraint: 'dispatchers_login_check' });
    }
  });

  test('ALERT-2: one de-duplication record per (kind, incident or subject), NULL incident included', async () => {
    await client.query(
      `INSERT INTO alert_states (kind, incident_id, subject, last_sent_at) VALUES ('imap_down', NULL, 'INBOX', now())`,
    );

    await expect(
      client.query(
        `INSERT INTO alert_states (kind, incident_id, subject, last_sent_at) VALUES ('imap_down', NULL, 'INBOX', now())`,
      ),
    ).rejects.toMatchObject({ code: '23505', constraint: 'alert_states_key' });
  });
});
