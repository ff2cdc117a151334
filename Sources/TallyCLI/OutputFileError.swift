import Foundation
import TallyPresentation

/// A file Tally was asked to write cannot be written (a full disk, a
/// read-only or missing folder): exit 2 with the path and the system's
/// reason, instead of an "internal" failure (docs/errors.md, `output.file`).
struct OutputFileError: Error, CodedError {
    var path: String
    var reason: String
    /// Files of the same command already written and removed again.
    var removed = 0

    init(path: String, _ error: any Error, removed: Int = 0) {
        self.path = path
        self.removed = removed
        reason = Self.reason(of: error)
    }

    /// The POSIX reason under a Foundation error ("No space left on device").
    static func reason(of error: any Error) -> String {
        if let cocoa = error as? CocoaError {
            switch cocoa.code {
            case .fileWriteOutOfSpace: return String(cString: strerror(ENOSPC))
            case .fileWriteVolumeReadOnly: return String(cString: strerror(EROFS))
            case .fileWriteNoPermission: return String(cString: strerror(EACCES))
            case .fileNoSuchFile, .fileWriteInvalidFileName: return String(cString: strerror(ENOENT))
            default: break
            }
        }
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        if let posix = underlying, posix.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(posix.code)))
        }
        return (error as NSError).localizedDescription
    }

    var errorKind: ErrorKind { .badInput }
    var errorCode: String { "output.file" }
    var errorMessage: String {
        "cannot write \(path): \(reason)"
            + (removed > 0 ? "; the \(removed) file(s) this command wrote before it were removed, nothing is half-written" : "; nothing was written")
    }
    var errorDetails: [String: JSONValue] { ["path": .text(path), "reason": .text(reason)] }
}
