import Testing
import TallyPostgres
import TallyTesting

@Suite("Connection pool under concurrent use")
struct ConnectionPoolTests {
    @Test func servesManyConcurrentTasksWithFewConnections() async throws {
        try await TestDatabase.withSchema(migrated: false, maximumConnections: 4) { pool, _ in
            try await pool.withConnection { db in
                try db.execute("CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)")
                try db.execute("INSERT INTO counter VALUES (1, 0)")
            }
            let tasks = 64
            let results = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<tasks {
                    group.addTask {
                        try await pool.transaction { db in
                            // Each task: a short sleep (holding the connection), then a locked increment.
                            try db.execute("SELECT pg_sleep(0.005)")
                            try db.execute("UPDATE counter SET n = n + 1 WHERE id = 1")
                            return try db.scalar("SELECT \(i) * 2", as: Int.self)
                        }
                    }
                }
                var all: [Int] = []
                for try await value in group { all.append(value) }
                return all.sorted()
            }
            #expect(results == (0..<tasks).map { $0 * 2 })
            #expect(await pool.openConnections <= 4)
            let total = try await pool.withConnection { db in try db.scalar("SELECT n FROM counter", as: Int.self) }
            #expect(total == tasks)
        }
    }

    @Test func aBrokenConnectionIsReplaced() async throws {
        try await TestDatabase.withSchema(migrated: false, maximumConnections: 1) { pool, _ in
            // Kill our own backend: the next use must get a fresh connection.
            await #expect(throws: PostgresError.self) {
                try await pool.withConnection { db in try db.execute("SELECT pg_terminate_backend(pg_backend_pid())") }
            }
            let one = try await pool.withConnection { db in try db.scalar("SELECT 1", as: Int.self) }
            #expect(one == 1)
        }
    }

    @Test func closingThePoolRefusesNewWork() async throws {
        try await TestDatabase.withSchema(migrated: false) { pool, _ in
            await pool.close()
            await #expect(throws: PostgresError.self) {
                try await pool.withConnection { db in try db.scalar("SELECT 1", as: Int.self) }
            }
        }
    }
}
