// The three TowerStore reports' columns exactly as TS-3 names them: the contract between the sync
// (src/adapters/towerstore) and the sandbox feed server / fixture generator.

export type FeedName = 'poles' | 'avr' | 'bs';
export const FEED_NAMES: readonly FeedName[] = ['poles', 'avr', 'bs'];

export const POLES_FEED_COLUMNS = [
  'SiteId',
  'Шифр',
  'Имя БС',
  'Статус опоры',
  'Широта',
  'Долгота',
  'Высота опоры',
  'Регион',
  'Адрес',
  'Инфраструктурная компания',
  'Якорный оператор',
  'RegionRu',
] as const;

export const AVR_FEED_COLUMNS = [
  'Подрядчик',
  'Исключен из договора',
  'Шифр опоры',
  'Контактные данные подрядчика Email',
  'Контактные данные подрядчика Телефон',
] as const;

export const BS_FEED_COLUMNS = ['Шифр опоры', 'Имя БС/Оборудование', 'Оператор', 'Группа операторов'] as const;

export const FEED_COLUMNS: Record<FeedName, readonly string[]> = {
  poles: POLES_FEED_COLUMNS,
  avr: AVR_FEED_COLUMNS,
  bs: BS_FEED_COLUMNS,
};
