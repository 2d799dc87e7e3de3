import Foundation
import SwitchboardRuntime
import SwitchboardCodec
import SwitchboardDomain

/// Writes one assignment into GoHighLevel (API v2, payloads/README.md): upsert the contact
/// (remembering its GHL id), `PUT assignedTo`, then add tags with the tags endpoint. The
/// update takes the tokens for all its requests from the location's bucket before the first.
struct CRMSync: Sendable {
    let poster: HTTPPoster
    let baseURL: String
    /// The CRM token of a location (secret), nil when the location has no CRM sync configured.
    let token: @Sendable (String) -> String?
    let limiter: RateLimiter
    let store: NotifierStore
    /// The time of day rate windows and retry times are read from.
    let clock: any WallClock

    func apply(_ update: CRMUpdate, now: Date) async -> AttemptResult {
        guard let token = token(update.location) else { return .skip("CRM sync is not configured for \(update.location)") }
        let state: (ghlID: String?, appliedSequence: Int)
        do {
            state = try await store.crmContact(location: update.location, contact: update.contact)
        } catch {
            return .transient(status: nil, error: "store: \(error)", retryAfter: nil)
        }
        guard update.sequence > state.appliedSequence else { return .skip("superseded by a newer update (sequence \(state.appliedSequence))") }
        let headers = ["Authorization": "Bearer \(token)", "Version": "2021-07-28", "Content-Type": "application/json", "Accept": "application/json"]

        var ghlID = state.ghlID
        let requests = (ghlID == nil ? 1 : 0) + 1 + (update.tags.isEmpty ? 0 : 1)
        if let wait = limiter.acquire(update.location, count: requests, now: now) { return .throttled(until: wait) }
        if ghlID == nil {
            var body: [String: String] = ["locationId": update.location, "source": "switchboard"]
            if update.contact.hasPrefix("+") { body["phone"] = update.contact } else if update.contact.contains("@") { body["email"] = update.contact }
            if let name = update.contactName { body["name"] = name }
            let result = await poster.send("POST", url("/contacts/upsert"), headers: headers, body: Data((try? WireJSON.encode(body)) ?? []))
            guard case .answered(let status, _, let data) = result, (200..<300).contains(status) else { return throttleAware(result, update) }
            guard let response = try? JSONDecoder().decode(UpsertResponse.self, from: data) else {
                return .permanent(status: status, error: "upsert answer without contact.id")
            }
            ghlID = response.contact.id
            try? await store.saveCRMContact(location: update.location, contact: update.contact, ghlID: response.contact.id, appliedSequence: nil)
        }
        guard let contactID = ghlID else { return .permanent(status: nil, error: "no GoHighLevel contact id") }

        let assignment: [String: String?] = ["assignedTo": update.assignedTo]
        let assigned = await poster.send("PUT", url("/contacts/\(contactID)"), headers: headers, body: Data((try? WireJSON.encode(assignment)) ?? []))
        guard case .answered(let status, _, _) = assigned, (200..<300).contains(status) else { return throttleAware(assigned, update) }

        if !update.tags.isEmpty {
            let tagged = await poster.send(
                "POST", url("/contacts/\(contactID)/tags"), headers: headers, body: Data((try? WireJSON.encode(["tags": update.tags])) ?? []))
            guard case .answered(let tagStatus, _, _) = tagged, (200..<300).contains(tagStatus) else { return throttleAware(tagged, update) }
        }
        do {
            try await store.saveCRMContact(location: update.location, contact: update.contact, ghlID: contactID, appliedSequence: update.sequence)
        } catch {
            return .transient(status: nil, error: "store: \(error)", retryAfter: nil)
        }
        return .success(status: 200)
    }

    private func throttleAware(_ result: HTTPPoster.Result, _ update: CRMUpdate) -> AttemptResult {
        let outcome = AttemptResult(result, now: clock.now)
        if case .throttled(let until) = outcome { limiter.block(update.location, until: until, now: clock.now) }
        return outcome
    }

    private func url(_ path: String) -> URL {
        URL(string: baseURL.hasSuffix("/") ? String(baseURL.dropLast()) + path : baseURL + path)!
    }

    private struct UpsertResponse: Decodable {
        struct Contact: Decodable {
            var id: String
            enum CodingKeys: String, CodingKey { case id }
        }
        var contact: Contact
        enum CodingKeys: String, CodingKey { case contact }
    }
}
