import Foundation
import TallyCore

extension ProjectPaths {
    /// The issuer from `config/issuer.yaml` (or `$TALLY_CONFIG/issuer.yaml`),
    /// saying where it looked when the file is missing. Shared by
    /// `tally invoice` and the server, which read it for every run.
    public func issuer() throws -> Issuer {
        let path = configDirectory().appendingPathComponent("issuer.yaml").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw ImportError([ImportProblem(file: path, line: nil, missing("the issuer file", at: path, variable: "TALLY_CONFIG"))])
        }
        return try IssuerFile.load(path: path)
    }
}
