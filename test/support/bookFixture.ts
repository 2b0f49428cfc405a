// The book's 400 simulated rides and its DBSCAN labels (eps 0.3, min_samples 10), as copied from
// shared/data/book into test/fixtures.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../fixtures/', import.meta.url));

export interface BookRide {
  rideId: string;
  distanceKm: number;
  /** ride_time is in hours in the book */
  durationMin: number;
  label: number;
}

export function loadBookRides(): BookRide[] {
  const csv = readFileSync(`${dir}taxi-rides.csv`, 'utf8').trim().split('\n');
  const header = csv[0].split(',');
  const col = (name: string) => header.indexOf(name);
  const labels = new Map<string, number>(
    (JSON.parse(readFileSync(`${dir}taxi-labels.json`, 'utf8')) as { ride_id: number; label: number }[]).map((r) => [
      String(r.ride_id),
      r.label,
    ]),
  );
  return csv.slice(1).map((line) => {
    const f = line.split(',');
    const rideId = f[col('ride_id')];
    const label = labels.get(rideId);
    if (label === undefined) throw new Error(`no book label for ride ${rideId}`);
    return { rideId, distanceKm: Number(f[col('ride_dist')]), durationMin: Number(f[col('ride_time')]) * 60, label };
  });
}
