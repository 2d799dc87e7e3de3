import Testing
import SwitchboardRuntime

/// The hand-off rules both forwarders follow: offers are taken only when they follow the last row
/// taken and the feed has caught up; anything else reads, and a short read catches up.
@Suite struct HandOffFeedTests {
    @Test func aNewFeedReadsFirstAndTakesOffersOnceAShortReadHasCaughtUp() {
        var feed = HandOffFeed()
        let answer1 = feed.offer(first: 1, last: 2, count: 2)
        #expect(!answer1, "nothing taken directly before the first read")
        let read = feed.nextRead
        #expect(read.after == 0)
        let answer2 = feed.finish(read, returned: 10, upTo: 10, limit: 10)
        #expect(!answer2, "a full read may have more behind it")
        #expect(feed.cursor == 10 && !feed.takesOffers)
        let answer3 = feed.finish(feed.nextRead, returned: 3, upTo: 13, limit: 10)
        #expect(answer3)
        let answer4 = feed.offer(first: 14, last: 16, count: 3)
        #expect(answer4)
        #expect(feed.cursor == 16)
    }

    @Test func aGapAnUnorderedOfferOrNoRoomSwitchesToReadingAndNothingIsSkipped() {
        var feed = HandOffFeed()
        feed.finish(feed.nextRead, returned: 0, upTo: nil, limit: 10)
        let answer5 = feed.offer(first: 3, last: 4, count: 2)
        #expect(!answer5, "row 1 and 2 were written without an offer")
        let answer6 = feed.offer(first: 5, last: 5, count: 1)
        #expect(!answer6, "once reading, later offers wait for the read too")
        #expect(feed.nextRead.after == 0, "the read starts after the last row taken, so 1…5 are all read")

        var holes = HandOffFeed()
        holes.finish(holes.nextRead, returned: 0, upTo: nil, limit: 10)
        let answer7 = holes.offer(first: 1, last: 3, count: 2)
        #expect(!answer7, "rows 1…3 offered as two: one is missing")

        var full = HandOffFeed()
        full.finish(full.nextRead, returned: 0, upTo: nil, limit: 10)
        let answer8 = full.offer(first: 1, last: 1, count: 1, room: false)
        #expect(!answer8)
        #expect(!full.takesOffers && full.cursor == 0)
    }

    @Test func aReadBegunBeforeAStartOverChangesNothingAndEverythingGoesAgain() {
        var feed = HandOffFeed()
        feed.finish(feed.nextRead, returned: 0, upTo: nil, limit: 10)
        let answer9 = feed.offer(first: 1, last: 5, count: 5)
        #expect(answer9)
        let stale = feed.nextRead
        feed.startOver()
        #expect(feed.cursor == 0 && !feed.takesOffers)
        let answer10 = feed.finish(stale, returned: 2, upTo: 7, limit: 10)
        #expect(!answer10)
        #expect(feed.cursor == 0, "rows 1…5 go again")
        let answer11 = feed.finish(feed.nextRead, returned: 5, upTo: 5, limit: 10)
        #expect(answer11)
    }
}
