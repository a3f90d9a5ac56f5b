import type { Pool } from '@wharf/db';

/** Known scan results (the scanner fills them later; the /v2 gate reads them now). */
export interface ScanSummaryStore {
  /** The artifact's highest known severity; undefined when it was never scanned. */
  severityOf(digest: string): Promise<string | undefined>;
}

export class PgScanSummaryStore implements ScanSummaryStore {
  readonly #pool: Pool;

  constructor(deps: { pool: Pool }) {
    this.#pool = deps.pool;
  }

  async severityOf(digest: string): Promise<string | undefined> {
    const result = await this.#pool.query<{ severity: string }>('SELECT severity FROM scan_summary WHERE digest = $1', [digest]);
    return result.rows[0]?.severity;
  }
}
