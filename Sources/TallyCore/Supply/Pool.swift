/// A pool of interchangeable capacity: one GPU type at one site.
///
/// Costs blend within a pool (SPEC §3): every GPU-hour of a pool costs the
/// same in a given hour, whatever contract or spot buy it came from.
public struct Pool: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let site: String
    public let gpuType: String

    public init(site: String, gpuType: String) {
        self.site = site
        self.gpuType = gpuType
    }

    public static func < (lhs: Pool, rhs: Pool) -> Bool {
        (lhs.site, lhs.gpuType) < (rhs.site, rhs.gpuType)
    }

    public var description: String { "\(site)/\(gpuType)" }
}
