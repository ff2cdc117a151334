import TallyCore

/// Why a month's raw usage events could not be archived or restored
/// (`tally usage archive`, `tally usage restore`; docs/usage.md).
///
/// A ``DomainError``: `usage_archive.refused` and `usage_archive.state` are
/// rules saying no (exit 3), `usage_archive.corrupt` and
/// `usage_archive.invalid_input` bad input (exit 2), `usage_archive.mismatch`
/// a check that failed after writing (exit 1). Nothing is changed in the
/// database by a refused or failed command.
public typealias UsageArchiveError = DomainError<UsageArchiveErrorDomain>

/// The area of ``UsageArchiveError``.
public enum UsageArchiveErrorDomain: ErrorDomain {}

extension DomainError.Code where Domain == UsageArchiveErrorDomain {
    /// The month may not be archived yet (not issued, within the grace period, …).
    public static var refused: Self { Self("refused") }
    /// The month is not in the state the command needs (already archived, not archived).
    public static var state: Self { Self("state") }
    /// An archive file or its manifest does not match (checksum, format, rows).
    public static var corrupt: Self { Self("corrupt") }
    /// An option or a folder that cannot be used (the folder holds an archive already).
    public static var invalidInput: Self { Self("invalid input") }
    /// What the database holds differs from what was written or read (counts, totals).
    public static var mismatch: Self { Self("mismatch") }
}
