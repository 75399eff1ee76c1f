import GRDB

/// The versioned schema of `berth.db`.
///
/// Migrations are append-only: a released migration is never edited; a
/// change to the schema is a new `registerMigration` call after the last
/// one. GRDB records the applied identifiers in `grdb_migrations`, so
/// reopening a database applies only what it lacks.
enum HistorySchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()

        migrator.registerMigration("v1: sessions, runs, events") { db in
            try db.execute(sql: """
                CREATE TABLE sessions (
                    id          TEXT PRIMARY KEY NOT NULL,
                    project     TEXT NOT NULL,
                    pid         INTEGER NOT NULL,
                    started_at  REAL NOT NULL,
                    ended_at    REAL,
                    end_reason  TEXT,
                    cgroup_root TEXT,
                    pid1        INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX sessions_by_project ON sessions(project, started_at);

                CREATE TABLE runs (
                    id            TEXT PRIMARY KEY NOT NULL,
                    session_id    TEXT NOT NULL REFERENCES sessions(id),
                    service       TEXT NOT NULL,
                    pid           INTEGER,
                    started_at    REAL NOT NULL,
                    ended_at      REAL,
                    end_kind      TEXT,
                    exit_code     INTEGER,
                    signal        INTEGER,
                    detail        TEXT,
                    restart_count INTEGER NOT NULL DEFAULT 0,
                    backoff_ms    INTEGER,
                    unenforced    TEXT
                );
                CREATE INDEX runs_by_service ON runs(service, started_at);
                CREATE INDEX runs_by_session ON runs(session_id);

                CREATE TABLE events (
                    id         INTEGER PRIMARY KEY AUTOINCREMENT,
                    time       REAL NOT NULL,
                    session_id TEXT,
                    service    TEXT,
                    kind       TEXT NOT NULL,
                    detail     TEXT
                );
                CREATE INDEX events_by_time ON events(time);
                CREATE INDEX events_by_service ON events(service, time);
                """)
        }

        migrator.registerMigration("v2: samples") { db in
            // One row per service per sampling tick: raw counters from the cgroup leaf, so that
            // averages and peaks can be computed over any window. Pruned by age.
            try db.execute(sql: """
                CREATE TABLE samples (
                    time              REAL NOT NULL,
                    session_id        TEXT,
                    service           TEXT NOT NULL,
                    memory_bytes      INTEGER,
                    memory_peak_bytes INTEGER,
                    oom_kills         INTEGER,
                    cpu_usec          INTEGER,
                    nr_periods        INTEGER,
                    nr_throttled      INTEGER,
                    throttled_usec    INTEGER,
                    pids              INTEGER,
                    psi_cpu           REAL,
                    psi_memory        REAL,
                    psi_io            REAL
                );
                CREATE INDEX samples_by_time ON samples(time);
                CREATE INDEX samples_by_service ON samples(service, time);
                """)
        }

        migrator.registerMigration("v3: deploys") { db in
            // One row per `berth deploy` or `berth rollback` of a blue-green service: what was
            // deployed (the spec's digest), from which colour to which, how long each step took
            // (JSON, milliseconds by step), and how it ended.
            try db.execute(sql: """
                CREATE TABLE deploys (
                    id           TEXT PRIMARY KEY NOT NULL,
                    session_id   TEXT,
                    service      TEXT NOT NULL,
                    kind         TEXT NOT NULL,
                    started_at   REAL NOT NULL,
                    ended_at     REAL NOT NULL,
                    from_color   TEXT NOT NULL,
                    to_color     TEXT NOT NULL,
                    spec_digest  TEXT NOT NULL,
                    outcome      TEXT NOT NULL,
                    failed_step  TEXT,
                    reason       TEXT,
                    timings      TEXT NOT NULL
                );
                CREATE INDEX deploys_by_service ON deploys(service, started_at);
                """)
        }

        return migrator
    }
}
