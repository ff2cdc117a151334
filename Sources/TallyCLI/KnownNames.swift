import ArgumentParser
import TallyCore
import TallyDatabase
import TallyPostgres

/// Looks up a name a command was given, and refuses one that does not exist.
///
/// A name that does not exist is bad input (docs/errors.md: `input.invalid`,
/// exit 2), never an empty report: an all-zero usage total or an empty credit
/// ledger for a mistyped customer reads like a customer who used nothing.
/// Every command that takes a customer answers the same code and sentence.
enum KnownNames {
    static func customer(_ id: String, in db: PostgresConnection) throws -> Customer {
        guard let customer = try CustomerStore(db).customer(id: id) else {
            throw ValidationError("no customer '\(id)' (see tally customers list)")
        }
        return customer
    }
}
