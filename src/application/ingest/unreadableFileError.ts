// A file that cannot be loaded at all (missing, not CSV or Parquet, a header of no known format,
// a compression ridescan cannot read). Nothing of it is written; `ridescan load` exits 1.
import { WorkFailedError } from '../errors.js';

export class UnreadableFileError extends WorkFailedError {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'UnreadableFileError';
  }
}
