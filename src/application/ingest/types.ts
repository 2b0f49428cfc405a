// What ingest deals in: the formats and containers it reads, and the rides and rejects it hands
// to storage. The ride and reject are storage's own input contract (storage/rideLoads.ts), named
// here in ingest's words rather than declared a second time: a validated ride is exactly the row
// the rides table takes, so a column added there is a compile error in the parser instead of a
// field silently dropped, and the 1M-row load passes each ride object on without a copy.
import type { RejectRow, RideRow } from '../../storage/rideLoads.js';

export type RideFormat = 'rides-csv' | 'tlc-yellow' | 'tlc-green';
export type FileContainer = 'csv' | 'csv.gz' | 'parquet';

/** A validated ride as a file reader hands it over: instants and service day already resolved. */
export type LoadedRide = RideRow;

/** A row that could not be parsed, kept as read with the reason. */
export type RideReject = RejectRow;

/**
 * Some rows of a file, in file order, handed over one by one (see storage's RowBatch: a ride
 * object should live no longer than its row). The ride is valid only during its call: the
 * readers reuse one object from row to row.
 */
export interface LoadBatch {
  each(onRide: (ride: LoadedRide) => void, onReject: (reject: RideReject) => void): void;
}
