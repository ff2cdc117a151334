import Testing
import TallyCore
import TallyPostgres

@Suite("SQL interpolation binds values")
struct SQLInterpolationTests {
    @Test func valuesBecomeNumberedParameters() {
        let name = "O'Brien"
        let amount = ExactDecimal(5)
        let sql: SQL = "SELECT * FROM t WHERE name = \(name) AND amount > \(amount)"
        #expect(sql.text == "SELECT * FROM t WHERE name = $1 AND amount > $2")
        #expect(sql.bindings.map(\.text) == ["O'Brien", "5"])
        #expect(sql.bindings.map(\.type) == [.unspecified, .numeric])
        #expect(!sql.description.contains("O'Brien"), "values never appear in the text")
    }

    @Test func nilBindsNull() {
        let missing: Int? = nil
        let sql: SQL = "UPDATE t SET x = \(missing)"
        #expect(sql.text == "UPDATE t SET x = $1")
        #expect(sql.bindings.first?.text == nil)
        #expect(sql.bindings.first?.type == .int8)
    }

    @Test func fragmentsAreRenumbered() {
        let where_: SQL = "a = \(1) AND b = \(2)"
        let sql: SQL = "SELECT \("x") FROM t WHERE \(where_) LIMIT \(10)"
        #expect(sql.text == "SELECT $1 FROM t WHERE a = $2 AND b = $3 LIMIT $4")
        #expect(sql.bindings.map(\.text) == ["x", "1", "2", "10"])
    }

    @Test func identifiersAreQuoted() {
        let sql: SQL = "CREATE SCHEMA \(identifier: #"evil"; DROP TABLE x; --"#)"
        #expect(sql.text == #"CREATE SCHEMA "evil""; DROP TABLE x; --""#)
        #expect(sql.bindings.isEmpty)
    }
}
