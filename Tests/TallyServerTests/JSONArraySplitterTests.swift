import Testing
@testable import TallyServer

@Suite("JSON array splitter")
struct JSONArraySplitterTests {
    func lines(_ text: String) throws -> [String] {
        let result = try JSONArraySplitter.split(Array(text.utf8))
        return String(decoding: result.lines, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    @Test func elementsBecomeCompactLinesWithStringsKept() throws {
        #expect(try lines("[]") == [])
        #expect(try lines(" [ ] \n") == [])
        #expect(try lines(#"[{"a": 1, "b": [1, 2]}, {"s": "x, ] } \" y"}]"#) == [#"{"a": 1, "b": [1, 2]}"#, #"{"s": "x, ] } \" y"}"#])
        #expect(try lines("[{\n  \"a\" :\t1 2\n} ]") == [#"{ "a" : 1 2 }"#])
        #expect(try lines("[\n  7,\n  \"t\",\n  null\n]") == ["7", "\"t\"", "null"])
        #expect(try lines("[123456789012345678901234567890.5]") == ["123456789012345678901234567890.5"])
    }

    @Test func aControlCharacterInAStringIsAnElementRejectKeepingLineNumbers() throws {
        let result = try JSONArraySplitter.split(Array("[{\"a\":\"x\ny\"}, {\"b\":1}]".utf8))
        #expect(String(decoding: result.lines, as: UTF8.self) == "\n{\"b\":1}\n")
        #expect(result.rejects.map(\.line) == [1])
    }

    @Test func malformedArraysAreRefused() {
        for bad in ["", "{}", "[", "[1,", "[1,]", "[1 2", "[1] x", "[\"open]", "[{]"] {
            #expect(throws: JSONArraySplitter.Malformed.self, "\(bad)") { try JSONArraySplitter.split(Array(bad.utf8)) }
        }
    }
}
