/// What to do with a push service's answer (RFC 8030 §5, §6.2, §8.4): a sans-IO decision table the delivery
/// service follows; time and randomness are parameters.
///
/// | answer | decision |
/// |---|---|
/// | 2xx | delivered |
/// | 404, 410 | the subscription is gone: delete it |
/// | 429, 5xx, no answer (connection failed, timed out) | retry after `Retry-After` or an exponential backoff with jitter, while the next attempt starts before the deadline and attempts remain |
/// | 400, 401, 403, 413, other | failed, not retried (a bad request, a refused VAPID token, too large) |
public struct PushDeliveryPolicy: Hashable, Sendable {
    /// The wait before the second attempt, ms; it doubles each time. Default 500.
    public var firstBackoffMs: Int64
    /// The longest wait between attempts, ms. Default 8000.
    public var maximumBackoffMs: Int64
    /// The most attempts of one message to one subscription. Default 6.
    public var maximumAttempts: Int
    /// The longest `Retry-After` honoured, ms (a longer one ends the retries). Default 60 000.
    public var maximumRetryAfterMs: Int64

    public init(firstBackoffMs: Int64 = 500, maximumBackoffMs: Int64 = 8000, maximumAttempts: Int = 6,
                maximumRetryAfterMs: Int64 = 60_000) {
        self.firstBackoffMs = firstBackoffMs
        self.maximumBackoffMs = maximumBackoffMs
        self.maximumAttempts = maximumAttempts
        self.maximumRetryAfterMs = maximumRetryAfterMs
    }

    /// The decision.
    public enum Decision: Hashable, Sendable {
        case delivered
        /// Delete the subscription (404 / 410).
        case gone
        /// Try again at this time (Unix ms).
        case retry(at: Int64)
        /// Give up; the reason is a metric label: `rejected` (4xx), `retries_exhausted`, `deadline`.
        case failed(reason: String)
    }

    /// Decides after attempt number `attempt` (1 for the first) got `status` (nil: no HTTP answer).
    ///
    /// - Parameters:
    ///   - retryAfter: the answer's `Retry-After` header, if any (delta-seconds or an HTTP date).
    ///   - now: Unix ms; `deadline`: no attempt may start at or after it (a ring's end).
    ///   - jitter: a number in 0...1 from the caller's random source; the backoff is scaled by 0.5 + jitter / 2.
    public func decide(status: Int?, retryAfter: String?, attempt: Int, now: Int64, deadline: Int64,
                       jitter: Double) -> Decision {
        if let status {
            switch status {
            case 200...299: return .delivered
            case 404, 410: return .gone
            case 429, 500...599: break
            default: return .failed(reason: "rejected")
            }
        }
        guard attempt < maximumAttempts else { return .failed(reason: "retries_exhausted") }
        let wait: Int64
        if let retryAfter, let asked = RetryAfter.milliseconds(retryAfter, now: now) {
            guard asked <= maximumRetryAfterMs else { return .failed(reason: "deadline") }
            wait = asked
        } else {
            let exponent = min(max(attempt - 1, 0), 20)
            let base = min(maximumBackoffMs, firstBackoffMs << Int64(exponent))
            wait = Int64(Double(base) * (0.5 + min(max(jitter, 0), 1) / 2))
        }
        let at = now &+ wait
        guard at < deadline else { return .failed(reason: "deadline") }
        return .retry(at: at)
    }
}

/// The `Retry-After` header (RFC 9110 §10.2.3): delta-seconds or an IMF-fixdate.
public enum RetryAfter {
    /// The wait it asks for, ms from `now` (Unix ms; 0 for a date in the past), or nil when it is neither form.
    /// Delta-seconds above one day count as one day.
    public static func milliseconds(_ text: String, now: Int64) -> Int64? {
        let bytes = Array(text.utf8.drop { $0 == 0x20 }.reversed().drop { $0 == 0x20 }.reversed())
        guard !bytes.isEmpty, bytes.count <= 64 else { return nil }
        if bytes.allSatisfy({ (0x30...0x39).contains($0) }) {
            var seconds: Int64 = 0
            for digit in bytes {
                seconds = min(seconds * 10 + Int64(digit - 0x30), 86_400)
            }
            return seconds * 1000
        }
        guard let date = imfFixdate(bytes) else { return nil }
        return max(0, date * 1000 - now)
    }

    /// Unix seconds of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), or nil.
    static func imfFixdate(_ bytes: [UInt8]) -> Int64? {
        let text = String(decoding: bytes, as: UTF8.self)
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[0].count == 4, parts[0].hasSuffix(","), parts[5] == "GMT",
              let day = Int(parts[1]), parts[1].count == 2, (1...31).contains(day),
              let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
                .firstIndex(of: String(parts[2])),
              let year = Int(parts[3]), parts[3].count == 4, (1970...9999).contains(year)
        else { return nil }
        let clock = parts[4].split(separator: ":")
        guard clock.count == 3, clock.allSatisfy({ $0.count == 2 }), let hour = Int(clock[0]), let minute = Int(clock[1]),
              let second = Int(clock[2]), (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        return daysFromCivil(year: year, month: month + 1, day: day) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64((month + 9) % 12)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
