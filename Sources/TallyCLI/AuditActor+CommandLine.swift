#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TallyCore

extension AuditActor {
    /// The actor of every audited change made from the command line: the OS
    /// user running Tally (from the password database, not `$USER`, which
    /// anyone can set), role `cli`, dated by `TallyClock.current`.
    static var commandLine: AuditActor {
        AuditActor(name: osUserName(), role: AuditActor.commandLineRole, clock: .current)
    }

    private static func osUserName() -> String {
        let uid = geteuid()
        if let entry = getpwuid(uid), let name = entry.pointee.pw_name, name.pointee != 0 {
            return String(cString: name)
        }
        return "uid \(uid)"
    }
}
