import TallyPostgres

extension TestDatabase {
    /// Returns once a session waits for a lock that the backend `pid` holds
    /// (as `pg_blocking_pids` says), asked on a connection of `pool`; throws
    /// after `timeout` (long: under the whole suite, on 2 cores, the other
    /// session may first wait a while for other tests' locks). Races between
    /// two sessions are staged with it instead of a sleep that a busy machine
    /// may outrun. The holder should hold nothing another test could wait for
    /// (tests share the database's advisory locks): a row it inserted, not an
    /// ingest's locks.
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

    /// Runs `racer` (an ingest of the same event) while another connection
    /// holds one usage event of November 2026 (model `m`, no tag) inserted
    /// but not committed; commits it once `racer` waits for it (its look-up
    /// missed the row, its copy waits on the key); returns what `racer`
    /// returned or threw. The holder inserts the row itself: an ingest would
    /// hold the closing lock, which other tests' finalizations wait for.
    public static func racing<T: Sendable>(
        _ pool: ConnectionPool, customer: String, id: String, at instant: String, site: String, input: Int, output: Int,
        _ racer: @escaping @Sendable () async throws -> T
    ) async throws -> Result<T, any Error> {
        try await pool.withConnection { db in _ = try db.execute("SELECT ensure_usage_partition('2026-11-01')") }
        let holder = try PostgresConnection(configuration: await pool.configuration)
        let pid = try holder.scalar("SELECT pg_backend_pid()", as: Int.self)
        try holder.execute("BEGIN")
        try holder.execute(
            """
            INSERT INTO usage_events (month, customer_id, event_id, occurred_at, model, site_id, tag,
                                      input_tokens, cached_input_tokens, output_tokens, billing_month)
            VALUES ('2026-11-01', \(customer), \(id), \(instant)::timestamptz, 'm', \(site), '', \(input), 0, \(output), '2026-11-01')
            """)
        let task = Task { () -> Result<T, any Error> in
            do { return .success(try await racer()) } catch { return .failure(error) }
        }
        try await waitUntilBlocked(byBackend: pid, on: pool)
        try holder.execute("COMMIT")
        return await task.value
    }
}
