import Testing
import TallyPostgres
import TallyTesting

/// A server that goes away in the middle of a command (restarted, crashed,
/// or ending the session) must surface as a connection error a user can act
/// on, never as an unexpected failure; the reliability suite
/// (scripts/reliability/20-pg-restarts.sh) checks the CLI's exit 4 end to end.
@Suite("A connection lost mid-command")
struct ConnectionLossTests {
    @Test func aSessionEndedDuringItsStatementIsAConnectionError() throws {
        let db = try PostgresConnection(configuration: try TestDatabase.server())
        // The backend is terminated while it runs this very statement.
        do {
            try db.execute("SELECT pg_terminate_backend(pg_backend_pid())")
            Issue.record("expected the session to end")
        } catch {
            // PostgreSQL says why (57P01, admin shutdown) before it closes.
            #expect(error.code == .connection || error.sqlState?.errorClass == "57", "\(error)")
            #expect(!error.message.contains("\n"), "one line: \(error.message)")
        }
        #expect(!db.isHealthy)
        // The next statement finds no connection: a connection error, one line,
        // without libpq's guess ("This probably means the server terminated abnormally").
        do {
            try db.execute("SELECT 1")
            Issue.record("expected a lost connection")
        } catch {
            #expect(error.code == .connection)
            #expect(error.message.hasPrefix("the connection to the database was lost ("), "\(error.message)")
            #expect(!error.message.contains("\n") && !error.message.contains("probably"), "\(error.message)")
            #expect(error.statement != nil)
        }
    }
}
