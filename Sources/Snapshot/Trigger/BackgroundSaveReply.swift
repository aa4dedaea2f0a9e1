/// What the server's answer to `BGSAVE` means for the trigger loop.
package enum BackgroundSaveReply: Sendable, Hashable {
    /// A save of ours started: Dragonfly `+OK`, Redis `+Background saving started`.
    case started
    /// Another save (or, on Redis, an AOF rewrite) is running: wait for it, then trigger ours.
    /// Dragonfly `-ERR … SAVING - can not save database`, Redis `-ERR Background save already in
    /// progress` or `-ERR Another child process is active (AOF?): can't BGSAVE right now`.
    case busy(String)
    /// The server is loading its dataset (`-LOADING …`; Dragonfly `LOADING - can not save database`):
    /// retry with backoff until the timeout.
    case loading(String)
    /// Anything else is the server refusing the snapshot (e.g. `-ERR … TAKEN_OVER`, a read-only
    /// replica's error, an ACL denial): fail with the server's own text.
    case refused(String)

    /// Classifies a status reply (`+OK`, `+Background saving started`, `+Background saving scheduled`).
    package init(status text: String) {
        let lower = text.lowercased()
        if lower == "ok" || lower.contains("saving started") {
            self = .started
        } else if lower.contains("scheduled") {
            // Only `BGSAVE SCHEDULE` answers this, which we never send; if a server does, our save
            // starts after the running child: treat it as busy and trigger again once idle.
            self = .busy(text)
        } else {
            self = .refused("unexpected reply to BGSAVE: \(text)")
        }
    }

    /// Classifies an error reply's text (as `RedisError.message` carries it).
    package init(error text: String) {
        let upper = text.uppercased()
        if upper.hasPrefix("LOADING") || upper.contains("LOADING - CAN NOT SAVE") {
            self = .loading(text)
        } else if upper.contains("SAVING") || upper.contains("ALREADY IN PROGRESS")
            || upper.contains("ANOTHER CHILD PROCESS IS ACTIVE") || upper.contains("ANOTHER BGSAVE")
        {
            self = .busy(text)
        } else {
            self = .refused(text)
        }
    }
}
