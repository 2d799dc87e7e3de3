import Testing
@testable import SwitchboardHTTP

@Suite struct FormURLEncodingTests {
    @Test func decodesPlusPercentAndRepeatedKeysInOrder() {
        let pairs = FormURLEncoding.decode("Body=Hello+there%21&MediaUrl0=a&MediaUrl0=b&Empty=&Flag")
        #expect(pairs.map(\.name) == ["Body", "MediaUrl0", "MediaUrl0", "Empty", "Flag"])
        #expect(pairs.map(\.value) == ["Hello there!", "a", "b", "", ""])
    }

    @Test func decodesUTF8PercentSequencesAndKeepsMalformedEscapes() {
        #expect(FormURLEncoding.decode("n=Jos%C3%A9&bad=%zz%4").map(\.value) == ["José", "%zz%4"])
    }

    @Test func encodeThenDecodeRoundTrips() {
        let pairs = [("From", "whatsapp:+15551234567"), ("Body", "a&b=c d/é")]
        let decoded = FormURLEncoding.decode(FormURLEncoding.encode(pairs))
        #expect(decoded.map(\.name) == pairs.map(\.0))
        #expect(decoded.map(\.value) == pairs.map(\.1))
    }
}
