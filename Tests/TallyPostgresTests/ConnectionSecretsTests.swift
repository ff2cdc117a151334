import Testing
import TallyPostgres

@Suite("Passwords in connection strings are never shown")
struct ConnectionSecretsTests {
    static let password = "S3cretPw0rd"

    /// Strings libpq rejects or misreads; its complaints quote them whole or in pieces.
    static let badStrings = [
        "postgresql://u:S3cretPw0rd@[bad",
        "postgres://u:S3cretPw0rd@[bad",
        "postgresql://u@[bad?password=S3cretPw0rd",
        "postgresql://u:S3cret%2FPw0rd@[bad",
        "postgresql://u:S3c/retPw0rd@localhost/db",
        "host=/nonexistent user=u password=my S3cretPw0rd",
        "host=/nonexistent user=u password='S3cretPw0rd",
        "host=/nonexistent user=u password=S3cretPw0rd junk",
        "host=/nonexistent user=u sslpassword=S3cretPw0rd junk",
    ]

    @Test(arguments: badStrings)
    func aConnectionErrorNeverShowsThePassword(url: String) throws {
        let error = #expect(throws: PostgresError.self) {
            _ = try PostgresConnection(configuration: PostgresConfiguration(url: url))
        }
        let text = String(describing: try #require(error))
        for piece in ["S3cret", "Pw0rd", "retPw0rd", "S3c\""] {
            #expect(!text.contains(piece), "\(text)")
        }
        #expect(text.contains("could not connect"))
    }

    @Test func theRedactedStringKeepsEverythingButThePassword() {
        let cases = [
            ("postgresql://u:pw@h:5432/db", "postgresql://u:***@h:5432/db"),
            ("postgresql://u@h/db?sslmode=require&password=pw&x=1", "postgresql://u@h/db?sslmode=require&password=***&x=1"),
            ("host=h password='a b\\' c' user=u", "host=h password=*** user=u"),
            ("host=h password = pw dbname=d", "host=h password = *** dbname=d"),
            ("host=h dbname=d user=u", "host=h dbname=d user=u"),
            ("postgresql://u:S3cretPw0rd@[bad", "postgresql://u:***@[bad"),
            ("host=h password=my secret", "host=h password=***"),
        ]
        for (url, redacted) in cases {
            #expect(PostgresConfiguration(url: url).redactedURL == redacted)
        }
    }

    @Test func aMessageQuotingTheStringGetsTheRedactedOne() {
        let configuration = PostgresConfiguration(url: "postgresql://u:S3cretPw0rd@[bad")
        #expect(
            configuration.redact(#"in URI: "postgresql://u:S3cretPw0rd@[bad""#)
                == #"in URI: "postgresql://u:***@[bad""#)
        let conninfo = PostgresConfiguration(url: "host=h password=my secret")
        #expect(
            conninfo.redact(#"missing "=" after "secret" in connection info string"#)
                == #"missing "=" after "***" in connection info string"#)
    }
}
