import Foundation
import SwitchboardRuntime
import SwitchboardCodec
import SwitchboardDomain

/// Writes one assignment into GoHighLevel (API v2, payloads/README.md), reading before it
/// writes: the contact is upserted (or, with its id known, read), and its `assignedTo` there
/// decides what happens.
///
/// - GoHighLevel already has the owner Switchboard chose: nothing to write.
/// - Someone gave the contact an owner in GoHighLevel that Switchboard did not write (before
///   Switchboard ever wrote one: a contact owned before go-live; or since its last write: a
///   reassignment by hand): that owner is kept, the update records why, and the router is told
///   (``CRMOwnerReports``) so routing keeps them too.
/// - Otherwise `PUT assignedTo`. Tags are added with the tags endpoint either way.
///
/// A contact deleted in GoHighLevel answers 404 on its cached id: the id is forgotten and the
/// contact upserted again, once, in the same attempt. A 401 gets one fresh token
/// (``GoHighLevelTokens``), then is a dead letter with the reason. The update takes the tokens
/// for all its requests from the location's window before the first.
struct CRMSync: Sendable {
    let poster: HTTPPoster
    let baseURL: String
    let tokens: GoHighLevelTokens
    let limiter: RateLimiter
    let store: NotifierStore
    let reports: CRMOwnerReports
    /// The time of day rate windows and retry times are read from.
    let clock: any WallClock

    func apply(_ update: CRMUpdate, now: Date) async -> AttemptResult {
        guard let issued = await tokens.token(for: update.location) else { return .skip("CRM sync is not configured for \(update.location)") }
        var token: String
        switch issued {
        case .success(let value): token = value
        case .failure(let failure): return Self.attempt(failure)
        }
        let state: NotifierStore.CRMContact
        do {
            state = try await store.crmContact(location: update.location, contact: update.contact)
        } catch {
            return .transient(status: nil, error: "store: \(error)", retryAfter: nil)
        }
        guard update.sequence > state.appliedSequence else { return .skip("superseded by a newer update (sequence \(state.appliedSequence))") }
        // A read or an upsert, the PUT, the tags; a contact deleted in GoHighLevel takes one more
        // upsert, reserved when it happens.
        if let wait = limiter.acquire(update.location, count: 2 + (update.tags.isEmpty ? 0 : 1), now: now) { return .throttled(until: wait) }

        /// One request, with one fresh token after a 401.
        func send(_ method: String, _ path: String, _ body: (any Encodable)?) async -> Step {
            let data = body.flatMap { try? WireJSON.encode($0) }.map { Data($0) }
            for retried in [false, true] {
                let headers = ["Authorization": "Bearer \(token)", "Version": "2021-07-28", "Content-Type": "application/json", "Accept": "application/json"]
                let result = await poster.send(method, url(path), headers: headers, body: data)
                guard case .answered(401, _, _) = result, !retried else { return Step(result, now: clock.now) }
                switch await tokens.afterRejection(of: token, for: update.location) {
                case .success(let fresh): token = fresh
                case .failure(let failure): return .failed(Self.attempt(failure))
                }
            }
            return .failed(.transient(status: 401, error: "unreachable", retryAfter: nil))
        }

        /// The contact's id and owner in GoHighLevel, creating it when it is not there.
        func locate(knownID: String?) async -> Located {
            if let knownID {
                switch await send("GET", "/contacts/\(knownID)", nil) {
                case .ok(let data):
                    let contact = (try? JSONDecoder().decode(ContactEnvelope.self, from: data))?.contact
                    return .found(id: knownID, owner: contact?.assignedTo, existed: true)
                case .notFound:
                    break
                case .failed(let outcome):
                    return .stop(throttleAware(outcome, update))
                }
                // Deleted in GoHighLevel: forget the id and create the contact again.
                try? await store.forgetCRMContact(location: update.location, contact: update.contact)
                guard !update.contact.hasPrefix("ghl:") else {
                    return .stop(.permanent(status: 404, error: "the GoHighLevel contact \(knownID) no longer exists and has no phone to create it again"))
                }
                if let wait = limiter.acquire(update.location, count: 1, now: clock.now) { return .stop(.throttled(until: wait)) }
            }
            var body: [String: String] = ["locationId": update.location, "source": "switchboard"]
            if update.contact.hasPrefix("+") { body["phone"] = update.contact } else if update.contact.contains("@") { body["email"] = update.contact }
            if let name = update.contactName { body["name"] = name }
            switch await send("POST", "/contacts/upsert", body) {
            case .ok(let data):
                guard let answer = try? JSONDecoder().decode(UpsertAnswer.self, from: data) else {
                    return .stop(.permanent(status: 200, error: "upsert answer without contact.id"))
                }
                try? await store.saveCRMContact(location: update.location, contact: update.contact, ghlID: answer.contact.id)
                return .found(id: answer.contact.id, owner: answer.contact.assignedTo, existed: !(answer.new ?? false))
            case .notFound:
                return .stop(.permanent(status: 404, error: "upsert answered 404"))
            case .failed(let outcome):
                return .stop(throttleAware(outcome, update))
            }
        }

        let known = state.ghlID ?? (update.contact.hasPrefix("ghl:") ? String(update.contact.dropFirst(4)) : nil)
        var written = state
        var found: (id: String, owner: String?, existed: Bool)
        switch await locate(knownID: known) {
        case .found(let id, let current, let existed): found = (id, current, existed)
        case .stop(let outcome): return outcome
        }
        // Created again after a 404: what Switchboard wrote to the deleted contact no longer counts.
        if known != nil && found.id != known { written = NotifierStore.CRMContact() }

        var owner = update.assignedTo
        var note: String?
        if found.owner != update.assignedTo, let current = found.owner {
            if !written.ownerWritten && found.existed {
                note = "kept \(current): the contact already had this owner in GoHighLevel"
            } else if written.ownerWritten && current != written.writtenOwner {
                note = "kept \(current): the owner was changed in GoHighLevel after Switchboard's last write"
            }
        }
        if let note, let current = found.owner {
            owner = current
            await reports.report(CRMEvent(
                id: "owner-\(update.location)-\(update.contact)-\(update.sequence)", kind: .assigned, location: update.location, contact: update.contact,
                crmContactId: found.id, user: current, at: clock.now), note: note)
        } else if found.owner != update.assignedTo {
            var assigned = await send("PUT", "/contacts/\(found.id)", AssignBody(assignedTo: update.assignedTo))
            if case .notFound = assigned {
                // Deleted between the read and the write: create it again, once.
                try? await store.forgetCRMContact(location: update.location, contact: update.contact)
                if let wait = limiter.acquire(update.location, count: 2, now: clock.now) { return .throttled(until: wait) }
                switch await locate(knownID: nil) {
                case .found(let id, let current, let existed): found = (id, current, existed)
                case .stop(let outcome): return outcome
                }
                assigned = await send("PUT", "/contacts/\(found.id)", AssignBody(assignedTo: update.assignedTo))
            }
            guard case .ok = assigned else { return outcome(of: assigned, update) }
        }

        if !update.tags.isEmpty {
            let tagged = await send("POST", "/contacts/\(found.id)/tags", ["tags": update.tags])
            if case .notFound = tagged {
                // Deleted in GoHighLevel after the owner was written: nothing left to tag here;
                // the id is forgotten, so the contact's next write creates it again.
                try? await store.forgetCRMContact(location: update.location, contact: update.contact)
                return .skip("the contact was deleted in GoHighLevel while it was written")
            }
            guard case .ok = tagged else { return outcome(of: tagged, update) }
        }
        do {
            try await store.saveCRMContact(location: update.location, contact: update.contact, ghlID: found.id, applied: (update.sequence, owner))
        } catch {
            return .transient(status: nil, error: "store: \(error)", retryAfter: nil)
        }
        return note.map { .success(status: 200, note: $0) } ?? .success(status: 200)
    }

    /// Where the contact is in GoHighLevel, or the outcome that ends the attempt.
    enum Located {
        case found(id: String, owner: String?, existed: Bool)
        case stop(AttemptResult)
    }

    /// `PUT /contacts/{id}`'s body: `assignedTo`, `null` to remove the owner.
    struct AssignBody: Encodable {
        var assignedTo: String?
        enum CodingKeys: String, CodingKey { case assignedTo }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(assignedTo, forKey: .assignedTo)
        }
    }

    /// One request's outcome as the sync reads it.
    enum Step {
        case ok(Data)
        case notFound
        case failed(AttemptResult)

        /// `now`: the sync's clock, from which a 429's wait is measured.
        init(_ result: HTTPPoster.Result, now: Date) {
            if case .answered(let status, _, let body) = result {
                if (200..<300).contains(status) { self = .ok(body); return }
                if status == 404 { self = .notFound; return }
            }
            self = .failed(AttemptResult(result, now: now))
        }
    }

    private func outcome(of step: Step, _ update: CRMUpdate) -> AttemptResult {
        switch step {
        case .ok: .success(status: 200)
        case .notFound: .permanent(status: 404, error: "the GoHighLevel contact disappeared while it was written")
        case .failed(let outcome): throttleAware(outcome, update)
        }
    }

    static func attempt(_ failure: GoHighLevelTokens.Failure) -> AttemptResult {
        switch failure {
        case .refused(let reason): .permanent(status: 401, error: reason)
        case .unavailable(let reason): .transient(status: nil, error: reason, retryAfter: nil)
        }
    }

    /// A 429 blocks the location's window until the time its headers name.
    private func throttleAware(_ outcome: AttemptResult, _ update: CRMUpdate) -> AttemptResult {
        if case .throttled(let until) = outcome { limiter.block(update.location, until: until, now: clock.now) }
        return outcome
    }

    private func url(_ path: String) -> URL {
        URL(string: baseURL.hasSuffix("/") ? String(baseURL.dropLast()) + path : baseURL + path)!
    }

    private struct Contact: Decodable {
        var id: String
        var assignedTo: String?
        enum CodingKeys: String, CodingKey { case id, assignedTo }
    }

    private struct UpsertAnswer: Decodable {
        var new: Bool?
        var contact: Contact
        enum CodingKeys: String, CodingKey { case new, contact }
    }

    private struct ContactEnvelope: Decodable {
        var contact: Contact
        enum CodingKeys: String, CodingKey { case contact }
    }
}
