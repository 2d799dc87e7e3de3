import Foundation
import Testing
@testable import SwitchboardCodec

/// The hand writer must produce exactly the document its calls describe: commas at every depth,
/// integers at their extremes, escapes in values and run-time keys.
@Suite struct JSONWriterTests {
    @Test func encodedValuesAreWrittenAsTheyAreBetweenCommas() throws {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("items")
        writer.beginArray()
        writer.encoded(#"{"id":"a","n":1}"#)
        writer.encoded(#"[true,null]"#)
        writer.endArray()
        writer.endObject()
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #"{"items":[{"id":"a","n":1},[true,null]]}"#)
    }

    @Test func nestedContainersIntegersAndEscapesParseBackToTheDocumentWritten() throws {
        var writer = JSONWriter()
        writer.beginObject()
        writer.member("zero", 0)
        writer.member("negative", -5)
        writer.member("smallest", Int.min)
        writer.member("largest", Int.max)
        writer.member("absent", nil as String?)
        writer.member("text", "quote \" backslash \\ newline \n tab \t bell \u{07} é 🙂")
        writer.member("flag", true)
        writer.member("list", ["a", "", "c"])
        writer.member("map", ["k\"ey": "v", "a": "b"])
        writer.member("counts", ["x": -1, "y": 10])
        writer.key("nested")
        writer.beginArray()
        writer.beginArray()
        writer.endArray()
        writer.beginObject()
        writer.endObject()
        writer.integer(nil)
        writer.bool(false)
        writer.beginObject()
        writer.key("inner")
        writer.beginArray()
        writer.integer(1)
        writer.integer(22)
        writer.endArray()
        writer.endObject()
        writer.endArray()
        writer.endObject()

        let parsed = try JSONSerialization.jsonObject(with: Data(writer.bytes)) as? NSDictionary
        let expected: NSDictionary = [
            "zero": 0, "negative": -5, "smallest": Int.min, "largest": Int.max,
            "text": "quote \" backslash \\ newline \n tab \t bell \u{07} é 🙂", "flag": true, "list": ["a", "", "c"],
            "map": ["k\"ey": "v", "a": "b"], "counts": ["x": -1, "y": 10],
            "nested": [[], [:], NSNull(), false, ["inner": [1, 22]]],
        ]
        #expect(parsed == expected)
        #expect(String(decoding: writer.bytes, as: UTF8.self).hasPrefix(#"{"zero":0,"negative":-5,"smallest":-9223372036854775808,"#))
    }

    @Test func aDocumentFarLargerThanTheInitialCapacityGrowsIntactAcrossManyReallocations() throws {
        var writer = JSONWriter(capacity: 1)
        let long = String(repeating: "abc\"é", count: 5_000)
        writer.beginObject()
        writer.member("long", long)
        writer.key("numbers")
        writer.beginArray()
        for number in -1_000...1_000 { writer.integer(number * 7_919) }
        writer.endArray()
        writer.endObject()

        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(writer.bytes)) as? [String: Any])
        #expect(parsed["long"] as? String == long)
        #expect(parsed["numbers"] as? [Int] == (-1_000...1_000).map { $0 * 7_919 })
    }

    @Test func everyCharacterThatNeedsEscapingIsEscapedAtEveryOffsetOfAnEightByteWord() throws {
        let specials: [Character] = ["\"", "\\", "\n", "\r", "\t", "\u{00}", "\u{01}", "\u{1F}", "\u{7F}", " ", "é", "🙂", "~"]
        var texts = [String((0..<128).map { Character(Unicode.Scalar(UInt8($0))) })]
        for length in 1...24 {
            for offset in 0..<length {
                for special in specials {
                    var characters = Array(repeating: Character("a"), count: length)
                    characters[offset] = special
                    texts.append(String(characters))
                }
            }
        }
        var writer = JSONWriter()
        writer.beginArray()
        for text in texts { writer.string(text) }
        writer.endArray()

        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(writer.bytes)) as? [String])
        #expect(parsed == texts)
        let written = String(decoding: writer.bytes, as: UTF8.self)
        #expect(!written.unicodeScalars.contains { $0.value < 0x20 }, "control characters are written escaped")
    }
}
