/// Where a forwarder takes the rows it hands on from: straight from the commits that write them,
/// or by reading its table after the last row it took (DESIGN.md, the hand-off pattern).
///
/// The adapters' inbox and the router's outbox are both tables with an increasing sequence whose
/// rows must reach another service. A commit offers its new rows from the store's thread, in
/// commit order, and they are taken at once when they follow the last row taken with no gap and
/// the forwarder is caught up: no task woken, no read. Anything else — a start, a start-over
/// after a failed send, rows a commit wrote without offering them, a forwarder with no room —
/// switches the feed to reading: the forwarder reads the table after ``cursor``, and a read that
/// comes back short has caught up, so offers are taken again. A row is never skipped; one may be
/// taken twice (after ``startOver()``), which the receiver deduplicates by id.
///
/// A value with no locks and no clock: each forwarder keeps one under its own lock, and the
/// rules are tested here once (`HandOffFeedTests`).
public struct HandOffFeed: Sendable, Equatable {
    /// A read of the rows after `after`, begun in `generation`.
    public struct Read: Sendable, Equatable {
        public let after: Int
        public let generation: Int
    }

    /// The highest sequence taken (handed over, or on its way).
    public private(set) var cursor: Int
    /// Whether offered rows that follow ``cursor`` are taken at once.
    public private(set) var takesOffers = false
    /// Counts start-overs: a read begun before one must not move ``cursor`` past rows that have
    /// to go again.
    public private(set) var generation = 0

    public init(cursor: Int = 0) {
        self.cursor = cursor
    }

    /// A commit offers its rows `first...last` (`count` of them, in sequence order). Answers
    /// whether the caller takes them now; if not, the feed reads from now on and the caller
    /// wakes its reader. `room` false: the forwarder cannot hold them now (they wait in the table).
    public mutating func offer(first: Int, last: Int, count: Int, room: Bool = true) -> Bool {
        guard takesOffers, room, last - first == count - 1, first == cursor + 1 else {
            takesOffers = false
            return false
        }
        cursor = last
        return true
    }

    /// The read to make next.
    public var nextRead: Read { Read(after: cursor, generation: generation) }

    /// `read` returned `count` rows of the `limit` asked for, the last with sequence `last`.
    /// Answers whether the feed has caught up: a short read was everything committed when it
    /// began, and what commits next is offered. A read begun before a start-over changes nothing.
    @discardableResult
    public mutating func finish(_ read: Read, returned count: Int, upTo last: Int?, limit: Int) -> Bool {
        guard read.generation == generation else { return false }
        cursor = max(cursor, last ?? read.after)
        guard count < limit else { return false }
        takesOffers = true
        return true
    }

    /// Everything from the oldest row goes again (a send or its acknowledgement failed).
    public mutating func startOver() {
        self = HandOffFeed(cursor: 0, generation: generation + 1)
    }

    private init(cursor: Int, generation: Int) {
        self.cursor = cursor
        self.generation = generation
    }
}
