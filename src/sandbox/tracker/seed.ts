// The sandbox queue as SPEC §14 describes it: statuses and transitions of YT-6, fields of YT-7 with the
// example keys, the problem-type dropdown of DEF-3, dispatchers and the Tracker robot.

/** Status keys that the product reads from configuration (YT-6, CONF-3). */
export interface ConfigurableStatusKeys {
  notifyOperatorInWork: string;
  notifiedOperatorInWork: string;
  notifyOperatorClosed: string;
  notifiedOperatorClosed: string;
  notifyAvrContractorInWork: string;
  notifiedAvrContractorInWork: string;
  onGeneration: string;
}

export interface SandboxOAuth {
  clientId: string;
  clientSecret: string;
  accessToken: string;
  refreshToken: string;
}

export interface TrackerSeedOptions {
  /** Queue key (`YT_QUEUE`); default `AVRSERVICE`. */
  queueKey?: string;
  /** Value expected in `X-Org-ID`; default `7000001`. */
  orgId?: string;
  /** Value expected in `X-Cloud-Org-ID`; default `bpf-sandbox-org`. */
  cloudOrgId?: string;
  /** Overrides of the configurable status keys; defaults are the examples of YT-6. */
  statusKeys?: Partial<ConfigurableStatusKeys>;
  /** 24-hex prefix of the queue's local field ids. */
  localFieldPrefix?: string;
  /** Initial OAuth client and tokens. */
  oauth?: Partial<SandboxOAuth>;
}

export interface SeedUser {
  uid: number;
  login: string;
  firstName: string;
  lastName: string;
  email: string;
  dismissed: boolean;
  disableNotifications: boolean;
}

/** Keys and ids of the seeded sandbox that DISPATCH needs to be configured against it. */
export interface TrackerSeed {
  orgId: string;
  cloudOrgId: string;
  queue: { id: string; key: string; name: string };
  issueTypeKey: string;
  /** Author of created issues (`YT_ISSUE_AUTHOR`). */
  robotAuthorLogin: string;
  /** Owner of the seeded OAuth token: what `GET /v2/myself` returns to DISPATCH. */
  apiUserLogin: string;
  /** Dispatcher logins, including the dismissed one and the one with notifications disabled. */
  dispatcherLogins: string[];
  dismissedLogin: string;
  notificationsDisabledLogin: string;
  users: SeedUser[];
  statusKeys: ConfigurableStatusKeys & {
    open: string;
    inProgress: string;
    needAcceptance: string;
    error: string;
    closed: string;
  };
  resolutions: { fixed: string; wontFix: string };
  /** Field ids as used in issue JSON and request bodies (YT-7). */
  fields: {
    localId: string;
    localEmailsIds: string;
    poleNumber: string;
    baseStationNumber: string;
    emailDatetime: string;
    newMessage: string;
    deadlineSla: string;
    slaStatus: string;
    operator: string;
    avrContractor: string;
    /** Full local field id `<prefix>--typeOfProblem`. */
    typeOfProblem: string;
  };
  typeOfProblemKey: string;
  localFieldPrefix: string;
  newMessageValues: { yes: string; no: string };
  /** SLA-4 dropdown strings in rule order. */
  slaStatusValues: {
    unknown: string;
    overdue: string;
    closedInTime: string;
    lessThanHour: string;
    inWork: string;
  };
  /** DEF-3 incident type names: the values of the problem-type dropdown. */
  problemTypes: string[];
  oauth: SandboxOAuth;
}

// Emoji are written as escapes so the exact code points of SPEC YT-7 / SLA-4 survive any editor.
const NEW_MESSAGE_YES = '\u2714\uFE0F Да';
const NEW_MESSAGE_NO = '\u2716\uFE0F Нет';
const SLA_UNKNOWN = '\u2B1C\uFE0F Неизвестно';
const SLA_OVERDUE = '\u{1F7E5} Просрочен';
const SLA_CLOSED_IN_TIME = '\u{1F7E9} Закрыт вовремя';
const SLA_LESS_THAN_HOUR = '\u{1F7E8} Осталось менее часа';
const SLA_IN_WORK = '\u{1F7E6} В работе';

const PROBLEM_TYPES = [
  'Запрос на организацию доступа к объекту',
  'Авария по питанию от сотрудника НБ',
  'Угроза гибели / гибель объекта',
  'Авария по питанию для МСК',
  'Авария по питанию РФ',
  'Авария ВОЛС',
  'Инцидент / запрос гос. органов',
];

const DEFAULT_STATUS_KEYS: ConfigurableStatusKeys = {
  notifyOperatorInWork: 'uvedomlaemOperatora',
  notifiedOperatorInWork: 'uvedomiliOperatora',
  notifyOperatorClosed: 'uvedomitOZakrytii',
  notifiedOperatorClosed: 'uvedomiliOZakrytii',
  notifyAvrContractorInWork: 'peredatPodradciku',
  notifiedAvrContractorInWork: 'peredanoPodradciku',
  onGeneration: 'naGeneraciiNb',
};

const user = (
  uid: number,
  login: string,
  firstName: string,
  lastName: string,
  flags: { dismissed?: boolean; disableNotifications?: boolean } = {},
): SeedUser => ({
  uid,
  login,
  firstName,
  lastName,
  email: `${login}@sandbox.example`,
  dismissed: flags.dismissed ?? false,
  disableNotifications: flags.disableNotifications ?? false,
});

const SEED_USERS: SeedUser[] = [
  user(8000000000000001, 'dispatch-robot', 'DISPATCH', 'Робот'),
  user(8000000000000002, 'yndx-tracker-cnt-robot', 'Робот', 'Трекера'),
  user(8000000000000011, 'ivanov', 'Иван', 'Иванов'),
  user(8000000000000012, 'petrov', 'Пётр', 'Петров'),
  user(8000000000000013, 'sidorov', 'Сидор', 'Сидоров'),
  user(8000000000000014, 'kuznetsov', 'Кузьма', 'Кузнецов', { dismissed: true }),
  user(8000000000000015, 'smirnov', 'Семён', 'Смирнов', { disableNotifications: true }),
];

const HEX24 = /^[0-9a-f]{24}$/;

export function buildTrackerSeed(options: TrackerSeedOptions = {}): TrackerSeed {
  const localFieldPrefix = options.localFieldPrefix ?? '6054ae3a2b6b2c7f80bb9a93';
  if (!HEX24.test(localFieldPrefix)) {
    throw new Error(`localFieldPrefix: expected 24 lower-case hex digits, got "${localFieldPrefix}"`);
  }
  const queueKey = options.queueKey ?? 'AVRSERVICE';
  if (!/^[A-Z][A-Z0-9]*$/.test(queueKey)) {
    throw new Error(`queueKey: expected upper-case letters and digits, got "${queueKey}"`);
  }
  const statusKeys = { ...DEFAULT_STATUS_KEYS, ...options.statusKeys };
  const fixed = ['open', 'inProgress', 'needAcceptance', 'error', 'closed'];
  const allKeys = [...fixed, ...Object.values(statusKeys)];
  if (new Set(allKeys).size !== allKeys.length) {
    throw new Error(`statusKeys: every status key must be distinct, got ${allKeys.join(', ')}`);
  }
  return {
    orgId: options.orgId ?? '7000001',
    cloudOrgId: options.cloudOrgId ?? 'bpf-sandbox-org',
    queue: { id: '1', key: queueKey, name: 'АВР: диспетчерская' },
    issueTypeKey: 'incident',
    robotAuthorLogin: 'yndx-tracker-cnt-robot',
    apiUserLogin: 'dispatch-robot',
    dispatcherLogins: ['ivanov', 'petrov', 'sidorov', 'kuznetsov', 'smirnov'],
    dismissedLogin: 'kuznetsov',
    notificationsDisabledLogin: 'smirnov',
    users: SEED_USERS.map((u) => ({ ...u })),
    statusKeys: {
      open: 'open',
      inProgress: 'inProgress',
      needAcceptance: 'needAcceptance',
      error: 'error',
      closed: 'closed',
      ...statusKeys,
    },
    resolutions: { fixed: 'fixed', wontFix: 'wontFix' },
    fields: {
      localId: 'localId',
      localEmailsIds: 'localEmailsIds',
      poleNumber: 'poleNumber',
      baseStationNumber: 'baseStationNumber',
      emailDatetime: 'emailDatetime',
      newMessage: 'newMessage',
      deadlineSla: 'deadlineSla',
      slaStatus: 'slaStatus',
      operator: 'operator',
      avrContractor: 'avrContractor',
      typeOfProblem: `${localFieldPrefix}--typeOfProblem`,
    },
    typeOfProblemKey: 'typeOfProblem',
    localFieldPrefix,
    newMessageValues: { yes: NEW_MESSAGE_YES, no: NEW_MESSAGE_NO },
    slaStatusValues: {
      unknown: SLA_UNKNOWN,
      overdue: SLA_OVERDUE,
      closedInTime: SLA_CLOSED_IN_TIME,
      lessThanHour: SLA_LESS_THAN_HOUR,
      inWork: SLA_IN_WORK,
    },
    problemTypes: [...PROBLEM_TYPES],
    oauth: {
      clientId: options.oauth?.clientId ?? 'sandbox-client-id',
      clientSecret: options.oauth?.clientSecret ?? 'sandbox-client-secret',
      accessToken: options.oauth?.accessToken ?? 'sandbox-access-token',
      refreshToken: options.oauth?.refreshToken ?? 'sandbox-refresh-token',
    },
  };
}

/** The `YT_*` variables (CONF-3 / CONF-4) that point DISPATCH at an emulator running at `url`. */
export interface TrackerSandboxEnv {
  YT_API_BASE_URL: string;
  YT_OAUTH_TOKEN_URL: string;
  YT_CLIENT_ID: string;
  YT_CLIENT_SECRET: string;
  YT_ACCESS_TOKEN: string;
  YT_REFRESH_TOKEN: string;
  YT_ORGANIZATION_ID: string;
  YT_QUEUE: string;
  YT_ISSUE_TYPE: string;
  YT_ISSUE_AUTHOR: string;
  YT_DATABASE_ID_GLOBAL_FIELD_ID: string;
  YT_EMAILS_IDS_GLOBAL_FIELD_ID: string;
  YT_POLE_NUMBER_GLOBAL_FIELD_ID: string;
  YT_BASE_STATION_GLOBAL_FIELD_ID: string;
  YT_EMAIL_DATETIME_GLOBAL_FIELD_ID: string;
  YT_IS_NEW_MSG_GLOBAL_FIELD_ID: string;
  YT_SLA_DEADLINE_GLOBAL_FIELD_ID: string;
  YT_IS_SLA_EXPIRED_GLOBAL_FIELD_ID: string;
  YT_OPERATOR_NAME_GLOBAL_FIELD_NAME: string;
  YT_AVR_NAME_GLOBAL_FIELD_ID: string;
  YT_TYPE_OF_INCIDENT_LOCAL_FIELD_ID: string;
  YT_ON_GENERATION_STATUS_KEY: string;
  YT_NOTIFY_OPERATOR_ISSUE_IN_WORK_STATUS_KEY: string;
  YT_NOTIFIED_OPERATOR_ISSUE_IN_WORK_STATUS_KEY: string;
  YT_NOTIFY_OPERATOR_ISSUE_CLOSED_STATUS_KEY: string;
  YT_NOTIFIED_OPERATOR_ISSUE_CLOSED_STATUS_KEY: string;
  YT_NOTIFY_AVR_CONTRACTOR_IN_WORK_STATUS_KEY: string;
  YT_NOTIFIED_AVR_CONTRACTOR_IN_WORK_STATUS_KEY: string;
}

export function trackerSandboxEnv(url: string, seed: TrackerSeed = buildTrackerSeed()): TrackerSandboxEnv {
  const base = url.replace(/\/+$/, '');
  return {
    YT_API_BASE_URL: base,
    YT_OAUTH_TOKEN_URL: `${base}/token`,
    YT_CLIENT_ID: seed.oauth.clientId,
    YT_CLIENT_SECRET: seed.oauth.clientSecret,
    YT_ACCESS_TOKEN: seed.oauth.accessToken,
    YT_REFRESH_TOKEN: seed.oauth.refreshToken,
    YT_ORGANIZATION_ID: seed.orgId,
    YT_QUEUE: seed.queue.key,
    YT_ISSUE_TYPE: seed.issueTypeKey,
    YT_ISSUE_AUTHOR: seed.robotAuthorLogin,
    YT_DATABASE_ID_GLOBAL_FIELD_ID: seed.fields.localId,
    YT_EMAILS_IDS_GLOBAL_FIELD_ID: seed.fields.localEmailsIds,
    YT_POLE_NUMBER_GLOBAL_FIELD_ID: seed.fields.poleNumber,
    YT_BASE_STATION_GLOBAL_FIELD_ID: seed.fields.baseStationNumber,
    YT_EMAIL_DATETIME_GLOBAL_FIELD_ID: seed.fields.emailDatetime,
    YT_IS_NEW_MSG_GLOBAL_FIELD_ID: seed.fields.newMessage,
    YT_SLA_DEADLINE_GLOBAL_FIELD_ID: seed.fields.deadlineSla,
    YT_IS_SLA_EXPIRED_GLOBAL_FIELD_ID: seed.fields.slaStatus,
    YT_OPERATOR_NAME_GLOBAL_FIELD_NAME: seed.fields.operator,
    YT_AVR_NAME_GLOBAL_FIELD_ID: seed.fields.avrContractor,
    // YT-7: the product finds the local field by key, so the plain key is what goes into the env.
    YT_TYPE_OF_INCIDENT_LOCAL_FIELD_ID: seed.typeOfProblemKey,
    YT_ON_GENERATION_STATUS_KEY: seed.statusKeys.onGeneration,
    YT_NOTIFY_OPERATOR_ISSUE_IN_WORK_STATUS_KEY: seed.statusKeys.notifyOperatorInWork,
    YT_NOTIFIED_OPERATOR_ISSUE_IN_WORK_STATUS_KEY: seed.statusKeys.notifiedOperatorInWork,
    YT_NOTIFY_OPERATOR_ISSUE_CLOSED_STATUS_KEY: seed.statusKeys.notifyOperatorClosed,
    YT_NOTIFIED_OPERATOR_ISSUE_CLOSED_STATUS_KEY: seed.statusKeys.notifiedOperatorClosed,
    YT_NOTIFY_AVR_CONTRACTOR_IN_WORK_STATUS_KEY: seed.statusKeys.notifyAvrContractorInWork,
    YT_NOTIFIED_AVR_CONTRACTOR_IN_WORK_STATUS_KEY: seed.statusKeys.notifiedAvrContractorInWork,
  };
}
