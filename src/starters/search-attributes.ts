// Registers our custom search attributes on a running Temporal server (production cluster or a
// dev server started without them). Idempotent: only missing ones are added; a name registered
// with another type is an error an operator must resolve.
import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { SearchAttributeType } from '@temporalio/common';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';

const { temporal } = proto;
const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
type IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;

const INDEXED_TYPE: Record<SearchAttributeType, IndexedValueType> = {
  [SearchAttributeType.TEXT]: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.DOUBLE]: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  [SearchAttributeType.BOOL]: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  [SearchAttributeType.DATETIME]: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  [SearchAttributeType.KEYWORD_LIST]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const existing = customAttributes ?? {};
  const missing: Record<string, IndexedValueType> = {};
  const conflicts: string[] = [];
  for (const key of ALL_SEARCH_ATTRIBUTES) {
    const want = INDEXED_TYPE[key.type];
    const have = existing[key.name];
    if (have === undefined) missing[key.name] = want;
    else if (have !== want)
      conflicts.push(`${key.name} is registered as ${IndexedValueType[have]}, expected ${IndexedValueType[want]}`);
  }
  if (conflicts.length) throw new Error(`search attribute type conflicts: ${conflicts.join('; ')}`);
  if (Object.keys(missing).length) {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  }
  return Object.keys(missing);
}
