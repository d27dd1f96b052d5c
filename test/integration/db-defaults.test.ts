// Default data (DEF-1…DEF-4) on a freshly migrated database of the run's embedded PostgreSQL.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { sql } from 'slonik';
import { z } from 'zod';
import { createDatabase, databaseUrl, dropDatabase } from '../../src/adapters/db/admin.js';
import { ensureDefaultData, ensureIncidentStatusId } from '../../src/adapters/db/defaults.js';
import { migrate } from '../../src/adapters/db/migrate.js';
import { createDbPool } from '../../src/adapters/db/pool.js';
import type { DbPool } from '../../src/adapters/db/pool.js';
import { ENV_PG_ADMIN_URL, requireEnv } from '../support/services.js';

const adminUrl = requireEnv(ENV_PG_ADMIN_URL);
const databaseName = `dispatch_test_${randomBytes(6).toString('hex')}`;
let pool: DbPool;

const statusRow = z.object({ name: z.string(), description: z.string() });
const typeRow = z.object({ name: z.string(), description: z.string(), sla_minutes: z.number().nullable() });

const statuses = () => pool.any(sql.type(statusRow)`SELECT name, description FROM incident_statuses ORDER BY id`);
const types = () => pool.any(sql.type(typeRow)`SELECT name, description, sla_minutes FROM incident_types ORDER BY id`);

beforeAll(async () => {
  await createDatabase(adminUrl, databaseName);
  const url = databaseUrl(adminUrl, databaseName);
  await migrate(url);
  pool = await createDbPool(url);
});

afterAll(async () => {
  await pool.end();
  await dropDatabase(adminUrl, databaseName);
});

describe('ensureDefaultData', () => {
  test('DEF-1 / DEF-2 / DEF-3: the first run inserts the 4 statuses and 7 incident types exactly', async () => {
    // The migration already created the default pole and contractor (DEF-4).
    expect(await ensureDefaultData(pool)).toEqual({ incidentStatuses: 4, incidentTypes: 7, contractors: 0, poles: 0 });

    expect(await statuses()).toEqual([
      { name: 'Новый', description: 'Инцидент только что создан и ещё не был принят в работу диспетчером' },
      { name: 'В работе', description: 'Инцидент в процессе обработки' },
      { name: 'Ошибка', description: 'Обнаружена ошибка при обработке инцидента или некорректные данные' },
      {
        name: 'Закрыт',
        description: 'Инцидент полностью обработан и закрыт, никаких дальнейших действий не требуется',
      },
    ]);
    expect(await types()).toEqual([
      {
        name: 'Запрос на организацию доступа к объекту',
        description: 'Организация и оформление доступа сотрудников к объекту',
        sla_minutes: 2880,
      },
      {
        name: 'Авария по питанию от сотрудника НБ',
        description: 'Аварийная ситуация с питанием, полученная сотрудником НБ',
        sla_minutes: 1440,
      },
      {
        name: 'Угроза гибели / гибель объекта',
        description: 'Ситуация, угрожающая полному разрушению или потере объекта',
        sla_minutes: 240,
      },
      {
        name: 'Авария по питанию для МСК',
        description: 'Аварийное отключение или сбой питания на объекте в Москве',
        sla_minutes: 240,
      },
      {
        name: 'Авария по питанию РФ',
        description: 'Сбой или авария электроснабжения на объектах в регионах РФ',
        sla_minutes: 1440,
      },
      {
        name: 'Авария ВОЛС',
        description: 'Нарушение работы волоконно-оптических линий связи',
        sla_minutes: 1440,
      },
      {
        name: 'Инцидент / запрос гос. органов',
        description: 'Обработка инцидента или ответ на официальный запрос государственных органов',
        sla_minutes: 1440,
      },
    ]);
  });

  test('DEF-1: running again inserts nothing', async () => {
    const before = { statuses: await statuses(), types: await types() };

    expect(await ensureDefaultData(pool)).toEqual({ incidentStatuses: 0, incidentTypes: 0, contractors: 0, poles: 0 });
    expect({ statuses: await statuses(), types: await types() }).toEqual(before);
  });

  test('DEF-1: edited descriptions and SLA minutes survive; a missing default is inserted again by name', async () => {
    await pool.query(sql.unsafe`
      UPDATE incident_types SET sla_minutes = 600, description = 'Правка администратора' WHERE name = 'Авария ВОЛС'`);
    await pool.query(sql.unsafe`UPDATE incident_types SET sla_minutes = NULL WHERE name = 'Авария по питанию РФ'`);
    await pool.query(sql.unsafe`UPDATE incident_statuses SET description = 'Своё описание' WHERE name = 'Новый'`);
    await pool.query(sql.unsafe`DELETE FROM incident_types WHERE name = 'Угроза гибели / гибель объекта'`);

    expect(await ensureDefaultData(pool)).toEqual({ incidentStatuses: 0, incidentTypes: 1, contractors: 0, poles: 0 });

    const byName = new Map((await types()).map((type) => [type.name, type]));
    expect(byName.get('Авария ВОЛС')).toEqual({
      name: 'Авария ВОЛС',
      description: 'Правка администратора',
      sla_minutes: 600,
    });
    expect(byName.get('Авария по питанию РФ')?.sla_minutes).toBeNull();
    expect(byName.get('Угроза гибели / гибель объекта')).toEqual({
      name: 'Угроза гибели / гибель объекта',
      description: 'Ситуация, угрожающая полному разрушению или потере объекта',
      sla_minutes: 240,
    });
    expect((await statuses()).find((status) => status.name === 'Новый')?.description).toBe('Своё описание');
  });

  test('DEF-4: a missing default pole and `undefined` contractor are created again', async () => {
    // TRUNCATE bypasses the delete guard: the state of a damaged or hand-cleaned directory.
    await pool.query(sql.unsafe`TRUNCATE poles, contractors CASCADE`);

    expect(await ensureDefaultData(pool)).toEqual({ incidentStatuses: 0, incidentTypes: 0, contractors: 1, poles: 1 });

    const pole = await pool.one(
      sql.type(z.object({ site_id: z.number(), pole: z.string(), bs_name: z.string(), contractor_name: z.string() }))`
        SELECT p.site_id, p.pole, p.bs_name, c.contractor_name
        FROM poles p JOIN contractors c ON c.id = p.avr_contractor_id`,
    );
    expect(pole).toEqual({ site_id: 0, pole: 'undefined', bs_name: 'undefined', contractor_name: 'undefined' });
    expect(await ensureDefaultData(pool)).toEqual({ incidentStatuses: 0, incidentTypes: 0, contractors: 0, poles: 0 });
  });

  test('DEF-1: workers starting together insert each default once', async () => {
    await pool.query(sql.unsafe`DELETE FROM incident_types WHERE name = 'Авария ВОЛС'`);

    const runs = await Promise.all([ensureDefaultData(pool), ensureDefaultData(pool), ensureDefaultData(pool)]);

    expect(runs.map((run) => run.incidentTypes).sort()).toEqual([0, 0, 1]);
    expect(await pool.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*) AS n FROM incident_types`)).toBe(
      7,
    );
  });
});

describe('ensureIncidentStatusId', () => {
  test('INC-8: a history status is created on first use with its description, then reused', async () => {
    const id = await ensureIncidentStatusId(pool, 'Передано подрядчику');

    expect(await ensureIncidentStatusId(pool, 'Передано подрядчику')).toBe(id);
    expect(
      await pool.one(sql.type(statusRow)`SELECT name, description FROM incident_statuses WHERE id = ${id}`),
    ).toEqual({ name: 'Передано подрядчику', description: 'Отправили письмо с инцидентом.' });
  });

  test('DEF-1: an existing status keeps its edited description', async () => {
    const id = await ensureIncidentStatusId(pool, 'Новый');

    expect(
      await pool.oneFirst(sql.type(z.object({ description: z.string() }))`
      SELECT description FROM incident_statuses WHERE id = ${id}`),
    ).toBe('Своё описание');
  });

  test('INC-8: concurrent first uses create one row', async () => {
    const ids = await Promise.all(
      Array.from({ length: 5 }, () => ensureIncidentStatusId(pool, 'Уведомляем о закрытии')),
    );

    expect(new Set(ids).size).toBe(1);
    expect(
      await pool.one(sql.type(statusRow)`SELECT name, description FROM incident_statuses WHERE id = ${ids[0] ?? 0}`),
    ).toEqual({ name: 'Уведомляем о закрытии', description: 'Отправляем письмо заявителю о закрытии работ.' });
  });
});
