import Foundation
import Testing
import TallyTesting
@testable import TallyDatabase

@Suite("Strict CSV reader")
struct CSVFileTests {
    func records(_ text: String) throws -> [(Int, [String])] {
        let files = try TemporaryFiles([:])
        defer { files.remove() }
        try Data(text.utf8).write(to: URL(fileURLWithPath: files.path("f.csv")))
        var csv = try CSVFile(path: files.path("f.csv"))
        var out: [(Int, [String])] = [(1, csv.header)]
        while let record = try csv.next() { out.append(record) }
        return out
    }

    func problem(_ text: String) -> String {
        do {
            _ = try records(text)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func readsQuotesEscapesCRLFAndBOM() throws {
        let r = try records("\u{FEFF}A,b\r\n 1 , \"x, \"\"y\"\"\"\r\n\r\n2,\"multi\nline\"\n3,\n")
        #expect(r.map(\.0) == [1, 2, 4, 6])
        #expect(r[0].1 == ["a", "b"])
        #expect(r[1].1 == ["1", "x, \"y\""])
        #expect(r[2].1 == ["2", "multi\nline"])
        #expect(r[3].1 == ["3", ""])
    }

    @Test func refusesMalformedInputWithItsLine() {
        #expect(problem("a,b\n1,\"open\n2,3\n").contains(":2: unclosed quote"))
        #expect(problem("a,b\n1,x\"y\n").contains(":2: a quote inside an unquoted field"))
        #expect(problem("a,b\n1,\"x\"y\n").contains(":2: text after a closing quote"))
        #expect(problem("").contains("empty"))
    }

    @Test func refusesInvalidUTF8() throws {
        let files = try TemporaryFiles([:])
        defer { files.remove() }
        try Data([0x61, 0x0A, 0xFF, 0xFE, 0x0A]).write(to: URL(fileURLWithPath: files.path("bad.csv")))
        var csv = try CSVFile(path: files.path("bad.csv"))
        #expect { _ = try csv.next() } throws: { "\($0)".contains(":2: field 1 (a) is not valid UTF-8") }
    }

    /// A record with invalid UTF-8 or a NUL byte is read whole, so a caller
    /// (usage ingest) can refuse it alone and read on.
    @Test func aRecordWithAnInvalidFieldIsReadWholeAndTheNextFollows() throws {
        let files = try TemporaryFiles([:])
        defer { files.remove() }
        let bytes = Array("a,b\nx,y\u{0}z\n\"p\u{0}\",\"q\n".utf8) + [0xFF] + Array("\"\n1,2\n".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: files.path("bad.csv")))
        var csv = try CSVFile(path: files.path("bad.csv"))
        var records: [String] = []
        while let record = try csv.nextRecord() {
            switch record {
            case .fields(let line, let fields): records.append("\(line): \(fields)")
            case .invalid(let line, let reason, _): records.append("\(line): \(reason)")
            }
        }
        #expect(records == [
            "2: field 2 (b) holds a NUL byte, which cannot be stored", "3: field 1 (a) holds a NUL byte, which cannot be stored",
            #"5: ["1", "2"]"#,
        ])
    }

    @Test func streamsLargeFilesAcrossChunkBoundaries() throws {
        var text = "id,value\n"
        for i in 0..<200_000 { text += "\(i),\"v\(i)\"\n" }
        let files = try TemporaryFiles(["big.csv": text])
        defer { files.remove() }
        var csv = try CSVFile(path: files.path("big.csv"))
        var count = 0
        while let (line, fields) = try csv.next() {
            #expect(line == count + 2)
            if fields != [String(count), "v\(count)"] { Issue.record("bad record at \(line)"); break }
            count += 1
        }
        #expect(count == 200_000)
    }
}
