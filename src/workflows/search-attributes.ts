// Custom search attributes (ARCHITECTURE.md §3, OPS-1): how ops find an incident in the Web UI.
// No e-mail addresses here: search attributes are stored unencrypted.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const IncidentKey = defineSearchAttributeKey('IncidentKey', SearchAttributeType.KEYWORD);
export const IncidentStatus = defineSearchAttributeKey('IncidentStatus', SearchAttributeType.KEYWORD);
export const PoleCode = defineSearchAttributeKey('PoleCode', SearchAttributeType.KEYWORD);
export const BaseStation = defineSearchAttributeKey('BaseStation', SearchAttributeType.KEYWORD);
export const Operator = defineSearchAttributeKey('Operator', SearchAttributeType.KEYWORD_LIST);
export const Contractor = defineSearchAttributeKey('Contractor', SearchAttributeType.KEYWORD);
export const Dispatcher = defineSearchAttributeKey('Dispatcher', SearchAttributeType.KEYWORD);
export const ProblemType = defineSearchAttributeKey('ProblemType', SearchAttributeType.KEYWORD);
export const SlaStatus = defineSearchAttributeKey('SlaStatus', SearchAttributeType.KEYWORD);
export const SlaDeadline = defineSearchAttributeKey('SlaDeadline', SearchAttributeType.DATETIME);
export const RegisteredAt = defineSearchAttributeKey('RegisteredAt', SearchAttributeType.DATETIME);
export const IncidentId = defineSearchAttributeKey('IncidentId', SearchAttributeType.INT);

export const ALL_SEARCH_ATTRIBUTES = [
  IncidentKey,
  IncidentStatus,
  PoleCode,
  BaseStation,
  Operator,
  Contractor,
  Dispatcher,
  ProblemType,
  SlaStatus,
  SlaDeadline,
  RegisteredAt,
  IncidentId,
] as const;

const CLI_TYPE_NAMES: Record<string, string> = {
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
};

/** `Name=Type` arguments for `temporal server start-dev --search-attribute`. */
export function searchAttributeCliArgs(): string[] {
  return ALL_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=${CLI_TYPE_NAMES[key.type]}`]);
}
