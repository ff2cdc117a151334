import Foundation
import Testing
import TallyDatabase
import TallyPostgres
import TallyTesting

/// The local cluster holds billing data and runs a server that can run
/// programs: no other account on the machine may reach it, and it never takes
/// over files it did not create.
@Suite("Local cluster: closed to other users, never takes over a folder")
struct LocalClusterTests {
    /// A folder under /tmp the server user (postgres, when the tests run as
    /// root) may pass through but not list, as scripts/throwaway-db.sh makes.
    static func parentFolder() throws -> URL {
        let parent = URL(fileURLWithPath: "/tmp/tally-cluster-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: false)
        #expect(chmod(parent.path, 0o711) == 0)
        return parent
    }

    static func mode(_ path: String) -> mode_t {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & 0o777 : 0
    }

    static func owner(_ path: String) -> uid_t {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_uid : .max
    }

    @Test func anotherOSUserIsRefusedAndTallysRoleIsNoSuperuser() throws {
        try #require(geteuid() == 0, "this test switches to other OS users with runuser: run it as root (as CI does)")
        let psql = "/usr/bin/psql"
        try #require(FileManager.default.isExecutableFile(atPath: psql), "psql is missing: scripts/install-packages.sh postgresql-client")
        let parent = try Self.parentFolder()
        let cluster = LocalCluster(root: parent.appendingPathComponent("db"), throwaway: true)
        defer {
            _ = try? cluster.stop()
            try? FileManager.default.removeItem(at: parent)
        }
        try cluster.start()

        // The invoking user gets Tally's role, which is no superuser.
        let db = try PostgresConnection(configuration: cluster.configuration)
        #expect(try db.scalar("SELECT current_user", as: String.self) == "tally")
        #expect(try db.scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", as: Bool.self) == false)
        #expect(try db.scalar("SELECT rolcreatedb FROM pg_roles WHERE rolname = current_user", as: Bool.self) == true)
        #expect(try db.scalar("SHOW listen_addresses", as: String.self) == "")

        // Folders only the server user may enter.
        #expect(Self.mode(cluster.root.path) == 0o700)
        #expect(Self.mode(cluster.socketDirectory.path) == 0o700)

        // Another account is refused, whichever role it asks for: `nobody`
        // cannot reach the socket, and `postgres` (which can: it runs the
        // server) is not the OS user peer authentication admits.
        for osUser in ["nobody", "postgres"] {
            for role in [LocalCluster.userName, LocalCluster.adminName] {
                let target = "host=\(cluster.socketDirectory.path) dbname=tally user=\(role)"
                let (status, output) = try ChildCommand.run(
                    "/usr/sbin/runuser", ["-u", osUser, "--", psql, target, "-Atc", "SELECT 'connected as ' || current_user"],
                    in: URL(fileURLWithPath: "/"))
                #expect(status != 0, "\(osUser) connected as \(role): \(output)")
                #expect(!output.contains("connected as"))
                #expect(
                    output.contains("Permission denied") || output.contains("Peer authentication failed"),
                    "\(osUser) as \(role): \(output)")
            }
        }
        // Not even a superuser knows a rule that admits without authentication.
        var admin = cluster.configuration
        admin.url = admin.url.replacingOccurrences(of: "user=tally", with: "user=tally_admin")
        let rules = try PostgresConnection(configuration: admin)
        #expect(try rules.scalar("SELECT count(*) FROM pg_hba_file_rules WHERE auth_method <> 'peer'", as: Int.self) == 0)
    }

    @Test func aNonEmptyFolderThatIsNoClusterIsRefusedAndLeftAlone() throws {
        let parent = try Self.parentFolder()
        let folder = parent.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        #expect(chmod(folder.path, 0o755) == 0)
        try "mine\n".write(to: folder.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let cluster = LocalCluster(root: folder, throwaway: true)
        defer {
            _ = try? cluster.stop()
            try? FileManager.default.removeItem(at: parent)
        }

        let error = #expect(throws: LocalClusterError.self) { try cluster.start() }
        let message = try #require(error).message
        #expect(message.contains(folder.path))
        #expect(message.contains("not empty (notes.txt)"))
        #expect(message.contains("never takes over files it did not create"))
        // Nothing written, nothing handed over.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["notes.txt"])
        #expect(Self.owner(folder.path) == geteuid())
        #expect(Self.owner(folder.appendingPathComponent("notes.txt").path) == geteuid())
        #expect(Self.mode(folder.path) == 0o755)
    }

    /// A file named like Tally's marker does not make someone's folder a
    /// cluster: its text must be Tally's, and nothing foreign may stand beside it.
    @Test(arguments: [(["tally-cluster": "", "secret.txt": "x\n"], "also holds files Tally did not create (secret.txt)"),
                      (["tally-cluster": "mine\n"], "was not written by Tally")])
    func aStrayMarkerFileIsNotACluster(_ files: [String: String], _ reason: String) throws {
        let parent = try Self.parentFolder()
        let folder = parent.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        #expect(chmod(folder.path, 0o755) == 0)
        for (name, text) in files { try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        let cluster = LocalCluster(root: folder, throwaway: true)
        defer {
            _ = try? cluster.stop()
            try? FileManager.default.removeItem(at: parent)
        }
        let error = #expect(throws: LocalClusterError.self) { try cluster.start() }
        #expect(try #require(error).message.contains(reason))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == files.keys.sorted())
        #expect(Self.owner(folder.path) == geteuid())
        #expect(Self.mode(folder.path) == 0o755)
    }

    @Test func aFileIsRefused() throws {
        let parent = try Self.parentFolder()
        defer { try? FileManager.default.removeItem(at: parent) }
        let file = parent.appendingPathComponent("db")
        try "x".write(to: file, atomically: true, encoding: .utf8)
        let error = #expect(throws: LocalClusterError.self) { try LocalCluster(root: file).start() }
        #expect(try #require(error).message.contains("is a file, not a folder"))
    }

    /// A cluster an older Tally made (trust authentication, a superuser
    /// `tally`) is not used; the message says how to replace it.
    @Test func aClusterMadeByAnOlderTallyGetsInstructions() throws {
        let parent = try Self.parentFolder()
        defer { try? FileManager.default.removeItem(at: parent) }
        let folder = parent.appendingPathComponent(".tally")
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("data"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("run"), withIntermediateDirectories: true)
        try "15\n".write(to: folder.appendingPathComponent("data/PG_VERSION"), atomically: true, encoding: .utf8)

        let error = #expect(throws: LocalClusterError.self) { try LocalCluster(root: folder).start() }
        let message = try #require(error).message
        #expect(message.contains("made by an older Tally"))
        #expect(message.contains("tally db stop --dir '\(folder.path)' && rm -rf '\(folder.path)'"))
        #expect(message.contains("make clean-db"))
    }
}
