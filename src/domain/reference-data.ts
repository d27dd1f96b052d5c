// Reference data the product starts with: incident statuses (DEF-2, INC-8) and incident types (DEF-3).
// Names are matched exactly (Tracker dropdown values, history row names), so they live in one place.

export interface IncidentStatusDefinition {
  readonly name: string;
  readonly description: string;
}

export interface IncidentTypeDefinition {
  readonly name: string;
  readonly description: string;
  /** SLA-1: deadline = registration time + this many minutes. */
  readonly slaMinutes: number;
}

/** History row names (INC-8 table, DEF-2). */
export const STATUS = {
  new: 'Новый',
  inProgress: 'В работе',
  error: 'Ошибка',
  closed: 'Закрыт',
  awaitingConfirmation: 'Ждем подтверждения',
  onGeneration: 'На генерации НБ',
  notifyingOperator: 'Уведомляем оператора',
  notifiedOperator: 'Уведомили оператора',
  notifyingClosure: 'Уведомляем о закрытии',
  notifiedClosure: 'Уведомили о закрытии',
  handingToContractor: 'Передать подрядчику',
  handedToContractor: 'Передано подрядчику',
} as const;

export type HistoryStatusName = (typeof STATUS)[keyof typeof STATUS];

/** Description of each history status, used when its row in incident_statuses is created. */
const STATUS_DESCRIPTIONS: { readonly [Name in HistoryStatusName]: string } = {
  // DEF-2
  [STATUS.new]: 'Инцидент только что создан и ещё не был принят в работу диспетчером',
  [STATUS.inProgress]: 'Инцидент в процессе обработки',
  [STATUS.error]: 'Обнаружена ошибка при обработке инцидента или некорректные данные',
  [STATUS.closed]: 'Инцидент полностью обработан и закрыт, никаких дальнейших действий не требуется',
  // INC-8
  [STATUS.awaitingConfirmation]: 'Ждем информацию об инциденте для его дальнейшей обработки.',
  [STATUS.onGeneration]: 'Питание от генератора.',
  [STATUS.notifyingOperator]: 'Отправляем письмо заявителю о принятии инцидента в работу.',
  [STATUS.notifiedOperator]: 'Отправили письмо заявителю о принятии инцидента в работу.',
  [STATUS.notifyingClosure]: 'Отправляем письмо заявителю о закрытии работ.',
  [STATUS.notifiedClosure]: 'Отправили письмо заявителю о закрытии работ.',
  [STATUS.handingToContractor]: 'Отправляем письмо с инцидентом.',
  [STATUS.handedToContractor]: 'Отправили письмо с инцидентом.',
};

export function historyStatusDefinition(name: HistoryStatusName): IncidentStatusDefinition {
  return { name, description: STATUS_DESCRIPTIONS[name] };
}

/** DEF-2: the four statuses inserted at every start when missing. */
export const DEFAULT_INCIDENT_STATUSES: readonly IncidentStatusDefinition[] = [
  STATUS.new,
  STATUS.inProgress,
  STATUS.error,
  STATUS.closed,
].map(historyStatusDefinition);

/** INC-8: the other history statuses, created on first use. */
export const ON_DEMAND_INCIDENT_STATUSES: readonly IncidentStatusDefinition[] = [
  STATUS.awaitingConfirmation,
  STATUS.onGeneration,
  STATUS.notifyingOperator,
  STATUS.notifiedOperator,
  STATUS.notifyingClosure,
  STATUS.notifiedClosure,
  STATUS.handingToContractor,
  STATUS.handedToContractor,
].map(historyStatusDefinition);

/** DEF-3: the seven incident types; names equal the Tracker "Тип проблемы" dropdown values. */
export const DEFAULT_INCIDENT_TYPES: readonly IncidentTypeDefinition[] = [
  {
    name: 'Запрос на организацию доступа к объекту',
    description: 'Организация и оформление доступа сотрудников к объекту',
    slaMinutes: 2880,
  },
  {
    name: 'Авария по питанию от сотрудника НБ',
    description: 'Аварийная ситуация с питанием, полученная сотрудником НБ',
    slaMinutes: 1440,
  },
  {
    name: 'Угроза гибели / гибель объекта',
    description: 'Ситуация, угрожающая полному разрушению или потере объекта',
    slaMinutes: 240,
  },
  {
    name: 'Авария по питанию для МСК',
    description: 'Аварийное отключение или сбой питания на объекте в Москве',
    slaMinutes: 240,
  },
  {
    name: 'Авария по питанию РФ',
    description: 'Сбой или авария электроснабжения на объектах в регионах РФ',
    slaMinutes: 1440,
  },
  {
    name: 'Авария ВОЛС',
    description: 'Нарушение работы волоконно-оптических линий связи',
    slaMinutes: 1440,
  },
  {
    name: 'Инцидент / запрос гос. органов',
    description: 'Обработка инцидента или ответ на официальный запрос государственных органов',
    slaMinutes: 1440,
  },
];
