import TallyPostgres

extension TestDatabase {
    /// Returns once a session waits for a lock that the backend `holder`
    /// holds (as `pg_blocking_pids` says), asked on a connection of `pool`;
    /// throws after `timeout`. Races between two sessions are staged with
    /// it instead of a sleep that a busy machine may outrun.
    public static func waitUntilBlocked(
        by holder: PostgresConnection, on pool: ConnectionPool, timeout: Duration = .seconds(20)
    ) async throws {
        let pid = try holder.scalar("SELECT pg_backend_pid()", as: Int.self)
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
