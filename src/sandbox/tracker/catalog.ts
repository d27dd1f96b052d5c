// Directory data derived from the seed (users, statuses, transitions, fields, …) and lookups by the
// many reference forms the API accepts: key, id, login, uid, or an object carrying one of them.
import type {
  DictionaryRecord,
  FieldKind,
  FieldRecord,
  QueueRecord,
  StatusRecord,
  StatusType,
  TransitionRecord,
  UserRecord,
} from './model.js';
import type { TrackerSeed } from './seed.js';

export const CATEGORY_SYSTEM = '000000000000000000000001';
export const CATEGORY_EMAIL = '000000000000000000000004';
export const CATEGORY_DISPATCH = '5e0d15a7c4000000000000d1';

export const CATEGORY_NAMES: Record<string, string> = {
  [CATEGORY_SYSTEM]: 'Системные',
  [CATEGORY_EMAIL]: 'Email',
  [CATEGORY_DISPATCH]: 'Диспетчерская',
};

export class Catalog {
  readonly users: UserRecord[];
  readonly statuses: StatusRecord[];
  readonly transitions: TransitionRecord[];
  readonly resolutions: DictionaryRecord[];
  readonly issueTypes: DictionaryRecord[];
  readonly priorities: DictionaryRecord[];
  readonly queue: QueueRecord;
  /** Global fields first, then the queue's local fields. */
  readonly fields: FieldRecord[];

  constructor(readonly seed: TrackerSeed) {
    this.users = seed.users.map((u) => ({ ...u }));
    this.statuses = buildStatuses(seed);
    this.transitions = buildTransitions(seed, this.statuses);
    this.resolutions = [
      { id: '1', key: seed.resolutions.fixed, name: 'Решен', order: 1 },
      { id: '2', key: seed.resolutions.wontFix, name: 'Не будет исправлено', order: 2 },
    ];
    this.issueTypes = [
      { id: '1', key: seed.issueTypeKey, name: 'Инцидент', order: 1 },
      { id: '2', key: 'task', name: 'Задача', order: 2 },
    ];
    this.priorities = [
      { id: '1', key: 'minor', name: 'Низкий', order: 1 },
      { id: '2', key: 'normal', name: 'Средний', order: 2 },
      { id: '3', key: 'critical', name: 'Критичный', order: 3 },
    ];
    this.queue = {
      id: seed.queue.id,
      key: seed.queue.key,
      name: seed.queue.name,
      description: 'Инциденты, созданные DISPATCH из писем, и заявки диспетчеров',
      leadLogin: seed.dispatcherLogins[0] ?? seed.apiUserLogin,
      defaultTypeKey: seed.issueTypeKey,
      defaultPriorityKey: 'normal',
    };
    this.fields = buildFields(seed);
  }

  user(ref: unknown): UserRecord | undefined {
    const probe = refProbe(ref, ['login', 'uid', 'id']);
    if (probe === undefined) return undefined;
    return this.users.find((u) => u.login === probe || String(u.uid) === probe);
  }

  userByUid(uid: number): UserRecord | undefined {
    return this.users.find((u) => u.uid === uid);
  }

  status(ref: unknown): StatusRecord | undefined {
    return findDictionary(this.statuses, ref);
  }

  resolution(ref: unknown): DictionaryRecord | undefined {
    return findDictionary(this.resolutions, ref);
  }

  issueType(ref: unknown): DictionaryRecord | undefined {
    return findDictionary(this.issueTypes, ref);
  }

  priority(ref: unknown): DictionaryRecord | undefined {
    return findDictionary(this.priorities, ref);
  }

  queueByRef(ref: unknown): QueueRecord | undefined {
    const probe = refProbe(ref, ['key', 'id']);
    return probe === this.queue.key || probe === this.queue.id ? this.queue : undefined;
  }

  /** A field by its id (local fields: full `<prefix>--key` id). */
  field(id: string): FieldRecord | undefined {
    return this.fields.find((f) => f.id === id);
  }

  globalFields(): FieldRecord[] {
    return this.fields.filter((f) => f.localQueueKey === undefined);
  }

  localFields(queueKey: string): FieldRecord[] {
    return this.fields.filter((f) => f.localQueueKey === queueKey);
  }

  /** Transitions offered from a status, in declaration order. */
  transitionsFrom(statusKey: string): TransitionRecord[] {
    return this.transitions.filter((t) => t.from.includes(statusKey));
  }

  transitionIds(): Set<string> {
    return new Set(this.transitions.map((t) => t.id));
  }
}

/** Extracts the identifying string of a reference given as a scalar or as `{key|id|login|…}`. */
export function refProbe(ref: unknown, keys: string[]): string | undefined {
  if (typeof ref === 'string') return ref;
  if (typeof ref === 'number' && Number.isFinite(ref)) return String(ref);
  if (ref !== null && typeof ref === 'object') {
    const obj = ref as Record<string, unknown>;
    for (const k of keys) {
      const v = obj[k];
      if (typeof v === 'string' || typeof v === 'number') return String(v);
    }
  }
  return undefined;
}

function findDictionary<T extends { id: string; key: string; name: string }>(list: T[], ref: unknown): T | undefined {
  const probe = refProbe(ref, ['key', 'id']);
  if (probe !== undefined) {
    const hit = list.find((d) => d.key === probe || d.id === probe);
    if (hit) return hit;
  }
  // `{"name": "Bug"}` and display names (query language) resolve by name, case-insensitively.
  const name = refProbe(ref, ['name', 'display']);
  if (name === undefined) return undefined;
  const lower = name.toLowerCase();
  return list.find((d) => d.name.toLowerCase() === lower || d.key.toLowerCase() === lower);
}

function buildStatuses(seed: TrackerSeed): StatusRecord[] {
  const k = seed.statusKeys;
  const rows: Array<[string, string, StatusType]> = [
    [k.open, 'Новый', 'new'],
    [k.inProgress, 'В работе', 'inProgress'],
    [k.needAcceptance, 'Ждем подтверждения', 'paused'],
    [k.error, 'Ошибка', 'paused'],
    [k.closed, 'Закрыт', 'done'],
    [k.notifyOperatorInWork, 'Уведомляем оператора', 'inProgress'],
    [k.notifiedOperatorInWork, 'Уведомили оператора', 'inProgress'],
    [k.notifyOperatorClosed, 'Уведомить о закрытии', 'inProgress'],
    [k.notifiedOperatorClosed, 'Уведомили о закрытии', 'inProgress'],
    [k.notifyAvrContractorInWork, 'Передать подрядчику', 'inProgress'],
    [k.notifiedAvrContractorInWork, 'Передано подрядчику', 'inProgress'],
    [k.onGeneration, 'На генерации НБ', 'paused'],
  ];
  return rows.map(([key, name, type], i) => ({ id: String(i + 1), key, name, type, order: i + 1 }));
}

// YT-6 recommended transitions, plus a reopening Закрыт → В работе so INC-10 reopening can be exercised.
function buildTransitions(seed: TrackerSeed, statuses: StatusRecord[]): TransitionRecord[] {
  const k = seed.statusKeys;
  const all = statuses.map((s) => s.key);
  const edges: Array<[string[], string]> = [
    [[k.open, k.error, k.closed], k.inProgress],
    [all.filter((s) => s !== k.error), k.error],
    [all.filter((s) => s !== k.needAcceptance), k.needAcceptance],
    [[k.inProgress], k.notifyOperatorInWork],
    [[k.inProgress, k.notifiedOperatorInWork, k.notifiedAvrContractorInWork, k.notifiedOperatorClosed], k.onGeneration],
    [
      [k.inProgress, k.notifiedAvrContractorInWork, k.notifiedOperatorClosed, k.needAcceptance, k.onGeneration],
      k.closed,
    ],
    [[k.notifyOperatorInWork], k.notifiedOperatorInWork],
    [[k.notifiedOperatorInWork], k.notifyAvrContractorInWork],
    [[k.notifiedOperatorInWork, k.notifyAvrContractorInWork], k.notifiedAvrContractorInWork],
    [[k.notifiedOperatorInWork, k.notifiedAvrContractorInWork], k.notifyOperatorClosed],
    [[k.notifyOperatorClosed, k.needAcceptance], k.notifiedOperatorClosed],
  ];
  return edges.map(([from, to]) => {
    const target = statuses.find((s) => s.key === to);
    // Transition ids differ from status keys on purpose: clients must match on `to.key` (YT-17).
    return {
      id: `${to}Meta`,
      from,
      to,
      display: target?.name ?? to,
      requiresResolution: to === k.closed,
    };
  });
}

interface FieldSpec {
  id: string;
  name: string;
  kind: FieldKind;
  system?: boolean;
  required?: boolean;
  options?: string[];
  category?: string;
  description?: string;
}

function buildFields(seed: TrackerSeed): FieldRecord[] {
  const f = seed.fields;
  const specs: FieldSpec[] = [
    { id: 'key', name: 'Ключ', kind: 'string', system: true },
    { id: 'summary', name: 'Задача', kind: 'string', required: true },
    { id: 'description', name: 'Описание', kind: 'text' },
    { id: 'queue', name: 'Очередь', kind: 'queue', system: true },
    { id: 'type', name: 'Тип', kind: 'issuetype' },
    { id: 'priority', name: 'Приоритет', kind: 'priority' },
    { id: 'status', name: 'Статус', kind: 'status', system: true },
    { id: 'previousStatus', name: 'Предыдущий статус', kind: 'status', system: true },
    { id: 'statusStartTime', name: 'Начало текущего статуса', kind: 'datetime', system: true },
    { id: 'resolution', name: 'Резолюция', kind: 'resolution', system: true },
    { id: 'resolvedAt', name: 'Дата решения', kind: 'datetime', system: true },
    { id: 'resolvedBy', name: 'Решил', kind: 'user', system: true },
    { id: 'assignee', name: 'Исполнитель', kind: 'user' },
    { id: 'createdBy', name: 'Автор', kind: 'user', system: true },
    { id: 'updatedBy', name: 'Изменил', kind: 'user', system: true },
    { id: 'createdAt', name: 'Создано', kind: 'datetime', system: true },
    { id: 'updatedAt', name: 'Обновлено', kind: 'datetime', system: true },
    { id: 'lastCommentUpdatedAt', name: 'Последний комментарий', kind: 'datetime', system: true },
    { id: 'followers', name: 'Наблюдатели', kind: 'users' },
    { id: 'tags', name: 'Теги', kind: 'strings' },
    { id: 'deadline', name: 'Дедлайн', kind: 'date' },
    { id: 'emailFrom', name: 'Email от', kind: 'string', category: CATEGORY_EMAIL },
    { id: 'emailTo', name: 'Email кому', kind: 'strings', category: CATEGORY_EMAIL },
    { id: 'emailCc', name: 'Email копия', kind: 'strings', category: CATEGORY_EMAIL },
    { id: 'emailCreatedBy', name: 'Создано письмом от', kind: 'string', category: CATEGORY_EMAIL },
    { id: f.localId, name: 'ID инцидента', kind: 'integer', category: CATEGORY_DISPATCH },
    {
      id: f.localEmailsIds,
      name: 'ID писем, добавленных в комментарии',
      kind: 'string',
      category: CATEGORY_DISPATCH,
    },
    { id: f.poleNumber, name: 'Шифр опоры', kind: 'string', category: CATEGORY_DISPATCH },
    { id: f.baseStationNumber, name: 'Номер базовой станции', kind: 'string', category: CATEGORY_DISPATCH },
    { id: f.emailDatetime, name: 'Дата регистрации инцидента', kind: 'datetime', category: CATEGORY_DISPATCH },
    {
      id: f.newMessage,
      name: 'Флаг нового письма',
      kind: 'string',
      options: [seed.newMessageValues.yes, seed.newMessageValues.no],
      category: CATEGORY_DISPATCH,
    },
    { id: f.deadlineSla, name: 'Дедлайн SLA', kind: 'datetime', category: CATEGORY_DISPATCH },
    {
      id: f.slaStatus,
      name: 'Статус SLA',
      kind: 'string',
      options: Object.values(seed.slaStatusValues),
      category: CATEGORY_DISPATCH,
    },
    { id: f.operator, name: 'Оператор базовой станции', kind: 'string', category: CATEGORY_DISPATCH },
    { id: f.avrContractor, name: 'Имя подрядчика', kind: 'string', category: CATEGORY_DISPATCH },
  ];
  const fields: FieldRecord[] = specs.map((s, i) => ({
    id: s.id,
    key: s.id,
    name: s.name,
    description: s.description ?? '',
    kind: s.kind,
    ...(s.options ? { options: s.options } : {}),
    system: s.system ?? false,
    required: s.required ?? false,
    readonly: s.system ?? false,
    visible: true,
    hidden: false,
    categoryId: s.category ?? CATEGORY_SYSTEM,
    order: i + 1,
    version: 1,
  }));
  fields.push({
    id: f.typeOfProblem,
    key: seed.typeOfProblemKey,
    name: 'Тип проблемы',
    description: 'Тип проблемы инцидента (DEF-3)',
    kind: 'string',
    options: [...seed.problemTypes],
    system: false,
    required: false,
    readonly: false,
    visible: true,
    hidden: false,
    categoryId: CATEGORY_DISPATCH,
    order: fields.length + 1,
    version: 1,
    localQueueKey: seed.queue.key,
  });
  return fields;
}
