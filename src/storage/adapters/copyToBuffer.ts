// `COPY … TO STDOUT` on a `pg` connection, straight into one buffer: a pg Submittable that takes
// the socket's bytes while the COPY runs and hands the connection back to pg at CopyDone, as
// pg-copy-streams' copy-to does. That library makes a Buffer object per CopyData message and a
// stream chunk of those, and a binary COPY sends one message per row: for a 1M-ride day, ~0.5 s of
// allocation, concatenation and stream plumbing (node --cpu-prof of `detect`) on a read whose
// floor, psql's own binary COPY, is ~1 s. Here each socket chunk's CopyData contents are slid down
// over the messages' 5-byte headers inside the chunk itself (copyWithin: no allocation), and the
// chunks are joined once at the end. (Appending the chunks to one buffer grown by doubling instead
// cost ~0.3 s at 1M rows, nearly all of it the kernel handing over fresh pages for each copy.)
import type pg from 'pg';

// The backend's messages (PostgreSQL protocol, "Message Formats") a COPY TO can send.
const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const ERROR_RESPONSE = 0x45; // 'E'
// CopyOutResponse ('H'), NoticeResponse ('N'), ParameterStatus ('S') and NotificationResponse ('A')
// may come before or among the data: skipped (pg-copy-streams does the same).

/** The part of pg's Connection this uses: its socket, whose one 'data' listener is pg's parser. */
interface PgConnection {
  stream: NodeJS.ReadableStream & { listeners(event: 'data'): ((chunk: Buffer) => void)[] };
  query(text: string): void;
}

/** Runs `sql` (a COPY … TO STDOUT) on the client and resolves with all of its data. */
export function copyToBuffer(client: pg.ClientBase, sql: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // a Submittable is typed loosely by pg: it calls submit, then the handle* methods below
    void client.query(new CopyToBuffer(sql, resolve, reject) as unknown as pg.QueryConfig);
  });
}

/**
 * The COPY's data out of the backend's messages, chunk by chunk as the socket gives them. take()
 * returns undefined while the COPY goes on; at CopyDone or an ErrorResponse, the bytes that are
 * pg's to parse (from the ErrorResponse on, or after CopyDone).
 */
export class CopyOutGatherer {
  /** each chunk's COPY data, compacted in place */
  private chunks: Buffer[] = [];
  private bytes = 0;
  /** the message being read: its code, and the bytes of its content still to come */
  private code = 0;
  private left = 0;
  /** a message header split between two chunks: its bytes so far */
  private readonly header = Buffer.alloc(5);
  private headerBytes = 0;

  /** Takes a chunk of the socket's bytes; the chunk is rewritten in place. */
  take(chunk: Buffer): Buffer | undefined {
    const end = chunk.length;
    let read = 0;
    let write = 0; // the chunk's COPY data so far ends here; never past `read`
    while (read < end) {
      if (this.left > 0) {
        const n = Math.min(this.left, end - read);
        if (this.code === COPY_DATA) {
          if (write !== read) chunk.copyWithin(write, read, read + n);
          write += n;
        }
        read += n;
        this.left -= n;
        continue;
      }
      // a message header: code and length (which counts itself)
      const headerAt = read;
      if (this.headerBytes === 0 && end - read >= 5) {
        this.code = chunk[read];
        this.left = chunk.readInt32BE(read + 1) - 4;
        read += 5;
      } else {
        while (this.headerBytes < 5 && read < end) this.header[this.headerBytes++] = chunk[read++];
        if (this.headerBytes < 5) break;
        this.headerBytes = 0;
        this.code = this.header[0];
        this.left = this.header.readInt32BE(1) - 4;
      }
      if (this.code === ERROR_RESPONSE || this.code === COPY_DONE) {
        this.keep(chunk, write);
        // the ErrorResponse from its first byte, for pg to parse; after CopyDone (no content),
        // CommandComplete and ReadyForQuery. A copy: pg's parser may keep what it is handed.
        if (this.code === COPY_DONE) return Buffer.from(chunk.subarray(read));
        return read - headerAt === 5 ? Buffer.from(chunk.subarray(headerAt)) : Buffer.concat([this.header, chunk.subarray(read)]);
      }
    }
    this.keep(chunk, write);
    return undefined;
  }

  /** All the COPY's data taken, in one buffer. */
  data(): Buffer {
    const data = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.bytes);
    this.chunks = [];
    return data;
  }

  private keep(chunk: Buffer, length: number): void {
    if (length === 0) return;
    this.chunks.push(chunk.subarray(0, length));
    this.bytes += length;
  }
}

class CopyToBuffer {
  private readonly gatherer = new CopyOutGatherer();
  private connection: PgConnection | null = null;
  private pgDataListener: ((chunk: Buffer) => void) | null = null;
  private failed = false;
  private readonly onData = (chunk: Buffer) => {
    const rest = this.gatherer.take(chunk);
    if (rest) this.handBack(rest);
  };

  constructor(
    private readonly text: string,
    private readonly resolve: (data: Buffer) => void,
    private readonly reject: (error: Error) => void,
  ) {}

  /** pg calls this when the query's turn comes: take the socket's data from pg's parser, then send. */
  submit(connection: PgConnection): void {
    const listeners = connection.stream.listeners('data');
    if (listeners.length !== 1) throw new Error(`expected pg's one data listener on the socket, found ${listeners.length}`);
    this.connection = connection;
    this.pgDataListener = listeners[0];
    connection.stream.removeListener('data', this.pgDataListener);
    connection.stream.on('data', this.onData);
    connection.query(this.text);
  }

  /** Gives the socket back to pg's parser, with what follows the COPY's data. */
  private handBack(rest: Buffer): void {
    this.restorePgListener();
    if (rest.length > 0) this.pgDataListener!(rest);
  }

  /** pg's parser back on the socket in place of onData, when onData is on it. */
  private restorePgListener(): void {
    const stream = this.connection?.stream;
    if (!stream || !stream.listeners('data').includes(this.onData)) return;
    stream.removeListener('data', this.onData);
    stream.on('data', this.pgDataListener!);
  }

  handleError(error: Error): void {
    this.failed = true;
    // a connection that died mid-COPY: pg's listener back on a socket that no longer matters
    this.restorePgListener();
    this.reject(error);
  }

  handleCommandComplete(): void {}

  handleReadyForQuery(): void {
    if (!this.failed) this.resolve(this.gatherer.data());
  }
}
