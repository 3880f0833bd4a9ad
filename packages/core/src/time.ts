/**
 * The UTC instant of these calendar fields, or undefined when they name no
 * real instant Postgres' timestamptz takes: roll-overs such as 30 February or
 * hour 24, year 0 or past 9999. (Date.UTC alone rolls over silently and reads
 * years 0–99 as 1900–1999.)
 */
export function utcDate(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
): Date | undefined {
  if (![year, month, day, hour, minute, second].every(Number.isInteger)) return undefined;
  if (year < 1 || year > 9999 || hour > 23 || minute > 59 || second > 59) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  const exists =
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  return exists ? date : undefined;
}
