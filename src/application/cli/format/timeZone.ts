// The database's service time zone and how it came to be, in words (status, migrate, time-zone).
import type { ServiceTimeZone } from '../../../storage/settings.js';

export function describeTimeZone(timeZone: ServiceTimeZone): string {
  const when = `${timeZone.setAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  switch (timeZone.source) {
    case 'default':
      return `${timeZone.zone} (the default, never chosen)`;
    case 'chosen':
      return `${timeZone.zone} (chosen ${when})`;
    case 'first load':
      return `${timeZone.zone} (set by the first load, a TLC file, ${when})`;
  }
}
