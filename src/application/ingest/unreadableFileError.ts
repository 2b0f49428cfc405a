// A file that cannot be loaded at all (missing, not CSV or Parquet, a header of no known format,
// a compression ridescan cannot read). Nothing of it is written; `ridescan load` exits 1.
export class UnreadableFileError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'UnreadableFileError';
  }
}
