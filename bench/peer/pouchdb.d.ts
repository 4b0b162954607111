/**
 * The little of PouchDB's API the peer comparison uses (the package ships no types, and the
 * community's would be a dependency for four methods).
 */
declare module 'pouchdb' {
  export interface ReplicationResult {
    readonly ok: boolean;
    readonly status: string;
    readonly docs_read: number;
    readonly docs_written: number;
    readonly doc_write_failures: number;
  }
  export interface Replication extends Promise<ReplicationResult> {
    cancel(): void;
  }
  export interface Database {
    bulkDocs(docs: readonly object[]): Promise<readonly { readonly error?: unknown }[]>;
    info(): Promise<{ readonly doc_count: number }>;
    close(): Promise<void>;
    destroy(): Promise<void>;
    readonly replicate: {
      to(target: Database, options?: Record<string, unknown>): Replication;
    };
  }
  export interface DatabaseOptions {
    readonly adapter?: string;
    readonly fetch?: (url: string, init: RequestInit) => Promise<Response>;
  }
  interface PouchStatic {
    new (name: string, options?: DatabaseOptions): Database;
    plugin(plugin: unknown): PouchStatic;
    fetch(url: string, init: RequestInit): Promise<Response>;
    readonly version: string;
  }
  const PouchDB: PouchStatic;
  export default PouchDB;
}

declare module 'pouchdb-adapter-memory' {
  const plugin: unknown;
  export default plugin;
}
