// Where audit lines go: append-only files written through Node's write streams, so a request only
// queues its line (never a synchronous write on the event loop). A sink that cannot keep up drops
// lines past a bound rather than growing without one, and counts them.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log/logger.js';

/** Queued bytes per file beyond which lines are dropped (the disk is not keeping up). */
const MAX_QUEUED_BYTES = 64 * 1024 * 1024;
/** Per-tenant files open at once (least recently written are closed beyond it). */
const MAX_OPEN_TENANT_FILES = 128;

export class LineFile {
  private stream: WriteStream | undefined;
  dropped = 0;

  constructor(
    readonly file: string,
    private readonly logger: Logger,
  ) {}

  write(line: string): void {
    if (!this.stream) {
      this.stream = createWriteStream(this.file, { flags: 'a', mode: 0o600 });
      this.stream.on('error', (err) => {
        this.logger.error({ err, file: this.file }, 'writing the audit log failed; its lines are dropped');
        this.stream = undefined;
      });
    }
    if (this.stream.writableLength > MAX_QUEUED_BYTES) {
      if (this.dropped++ === 0) this.logger.warn({ file: this.file }, 'audit log behind; dropping lines');
      return;
    }
    this.stream.write(line);
  }

  close(): Promise<void> {
    const s = this.stream;
    this.stream = undefined;
    return s ? new Promise((resolve) => s.end(resolve)) : Promise.resolve();
  }
}

/** One file per tenant, `<dir>/<tenant>.log` (tenant names are DNS labels: safe file names). */
export class TenantFiles {
  private readonly files = new Map<string, LineFile>();

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  write(tenant: string, line: string): void {
    let f = this.files.get(tenant);
    if (f) this.files.delete(tenant);
    else f = new LineFile(path.join(this.dir, `${tenant}.log`), this.logger);
    this.files.set(tenant, f); // most recent last
    f.write(line);
    if (this.files.size > MAX_OPEN_TENANT_FILES) {
      const [oldest, file] = this.files.entries().next().value as [string, LineFile];
      this.files.delete(oldest);
      void file.close();
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.files.values()].map((f) => f.close()));
    this.files.clear();
  }
}
