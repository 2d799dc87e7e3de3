public import Foundation

/// `router.report`: how routing performed for a location over a window — per user, per account,
/// per rotation target and per local day (`ROUTING.md` concepts; issue #9).
public struct RoutingReport: Codable, Sendable, Equatable {
    public struct User: Codable, Sendable, Equatable {
        public var user: String
        /// Times the user became an owner or thread assignee in the window.
        public var assigned: Int
        /// Open contacts (or threads) owned now.
        public var openNow: Int
        /// Contacts the user owns that are resolved now.
        public var resolved: Int
        /// First-response time of their assignments in the window, seconds.
        public var firstResponseP50: Double?
        public var firstResponseP90: Double?
        /// The user's part of their team's assignments (0–1), for team members.
        public var teamShare: Double?

        public init(user: String, assigned: Int, openNow: Int, resolved: Int, firstResponseP50: Double? = nil, firstResponseP90: Double? = nil, teamShare: Double? = nil) {
            self.user = user
            self.assigned = assigned
            self.openNow = openNow
            self.resolved = resolved
            self.firstResponseP50 = firstResponseP50
            self.firstResponseP90 = firstResponseP90
            self.teamShare = teamShare
        }

        enum CodingKeys: String, CodingKey { case user, assigned, openNow, resolved, firstResponseP50, firstResponseP90, teamShare }
    }

    public struct AccountFigures: Codable, Sendable, Equatable {
        public var account: String
        public var inbound: Int
        public var newContacts: Int
        public var assigned: Int
        /// Decisions that left the contact unassigned, by reason.
        public var unassigned: [String: Int]

        public init(account: String, inbound: Int, newContacts: Int, assigned: Int, unassigned: [String: Int]) {
            self.account = account
            self.inbound = inbound
            self.newContacts = newContacts
            self.assigned = assigned
            self.unassigned = unassigned
        }

        enum CodingKeys: String, CodingKey { case account, inbound, newContacts, assigned, unassigned }
    }

    public struct TargetBalance: Codable, Sendable, Equatable {
        public var target: String
        public var assigned: [String: Int]
        /// Most-assigned minus least-assigned member.
        public var spread: Int

        public init(target: String, assigned: [String: Int], spread: Int) {
            self.target = target
            self.assigned = assigned
            self.spread = spread
        }

        enum CodingKeys: String, CodingKey { case target, assigned, spread }
    }

    public struct Day: Codable, Sendable, Equatable {
        /// Local date in the location's time zone.
        public var day: String
        public var inbound: Int
        public var assigned: [String: Int]
        public var unassigned: Int

        public init(day: String, inbound: Int, assigned: [String: Int], unassigned: Int) {
            self.day = day
            self.inbound = inbound
            self.assigned = assigned
            self.unassigned = unassigned
        }

        enum CodingKeys: String, CodingKey { case day, inbound, assigned, unassigned }
    }

    public var location: String
    public var timezone: String
    public var since: Date
    public var until: Date
    public var users: [User]
    public var accounts: [AccountFigures]
    public var targets: [TargetBalance]
    public var days: [Day]

    public init(
        location: String, timezone: String, since: Date, until: Date, users: [User], accounts: [AccountFigures], targets: [TargetBalance], days: [Day]
    ) {
        self.location = location
        self.timezone = timezone
        self.since = since
        self.until = until
        self.users = users
        self.accounts = accounts
        self.targets = targets
        self.days = days
    }

    enum CodingKeys: String, CodingKey { case location, timezone, since, until, users, accounts, targets, days }
}
