import TallyPostgres

extension TestDatabase {
    /// Returns once a session waits for a lock that the backend `pid` holds
    /// (as `pg_blocking_pids` says), asked on a connection of `pool`; throws
    /// after `timeout` (long: under the whole suite, on 2 cores, the other
    /// session may first wait a while for other tests' locks). Races between two sessions are staged with it
    /// instead of a sleep that a busy machine may outrun. The holder should
    /// hold nothing another test could wait for (tests share the database's
    /// advisory locks): a row it inserted, not an ingest's locks.
    public static func waitUntilBlocked(
        byBackend pid: Int, on pool: ConnectionPool, timeout: Duration = .seconds(180)
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let waiting = try await pool.withConnection { db in
                try db.scalar("SELECT count(*) FROM pg_stat_activity WHERE \(pid) = ANY(pg_blocking_pids(pid))", as: Int.self)
            }
            if waiting > 0 { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw PostgresError(.connection, "no session waited for a lock of backend \(pid) within \(timeout)")
    }
}
