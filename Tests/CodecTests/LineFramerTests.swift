import Testing
@testable import SwitchboardCodec

@Suite struct LineFramerTests {
    @Test func splitsLinesAcrossChunksAndDropsCarriageReturns() {
        var framer = LineFramer(maximumLineLength: 100)
        framer.append(Array("{\"a\":1}\r\n{\"b\"".utf8))
        #expect(framer.next() == .line(Array("{\"a\":1}".utf8)))
        #expect(framer.next() == .needMoreData)
        framer.append(Array(":2}\n".utf8))
        #expect(framer.next() == .line(Array("{\"b\":2}".utf8)))
        #expect(framer.next() == .needMoreData)
    }

    @Test func skipsEmptyLines() {
        var framer = LineFramer()
        framer.append(Array("\n\r\n\nx\n".utf8))
        #expect(framer.next() == .line([UInt8(ascii: "x")]))
    }

    @Test func reportsTooLongForAnUnterminatedLineOverTheLimit() {
        var framer = LineFramer(maximumLineLength: 10)
        framer.append([UInt8](repeating: 65, count: 11))
        #expect(framer.next() == .tooLong)
    }

    @Test func reportsTooLongForATerminatedLineOverTheLimit() {
        var framer = LineFramer(maximumLineLength: 10)
        framer.append([UInt8](repeating: 65, count: 11) + [10])
        #expect(framer.next() == .tooLong)
    }

    @Test func acceptsALineOfExactlyTheLimit() {
        var framer = LineFramer(maximumLineLength: 10)
        framer.append([UInt8](repeating: 65, count: 10) + [10])
        #expect(framer.next() == .line([UInt8](repeating: 65, count: 10)))
    }

    @Test func keepsOrderOverManySmallAppends() {
        var framer = LineFramer()
        var lines: [String] = []
        for index in 0..<10_000 {
            for byte in Array("line \(index)\n".utf8) { framer.append([byte]) }
            while case .line(let line) = framer.next() { lines.append(String(decoding: line, as: UTF8.self)) }
        }
        #expect(lines.count == 10_000)
        #expect(lines.last == "line 9999")
    }
}
