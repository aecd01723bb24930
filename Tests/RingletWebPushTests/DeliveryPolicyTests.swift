import RingletWebPush
import Testing

@Suite("Push delivery decisions")
struct DeliveryPolicyTests {
    let policy = PushDeliveryPolicy()
    let now: Int64 = 1_700_000_000_000

    @Test("2xx is delivered; 404 and 410 mean the subscription is gone; 400, 401, 403 and 413 fail at once",
          arguments: [(201, "delivered"), (200, "delivered"), (202, "delivered"), (404, "gone"), (410, "gone"),
                      (400, "rejected"), (401, "rejected"), (403, "rejected"), (413, "rejected"), (301, "rejected")])
    func immediate(status: Int, outcome: String) {
        switch policy.decide(status: status, retryAfter: nil, attempt: 1, now: now, deadline: now + 60_000, jitter: 0.5) {
        case .delivered: #expect(outcome == "delivered")
        case .gone: #expect(outcome == "gone")
        case .failed(let reason): #expect(reason == outcome)
        case .retry: Issue.record("\(status) was retried")
        }
    }

    @Test("429, 5xx and no answer are retried with a doubling backoff scaled by the jitter, capped")
    func backoff() {
        for status in [429, 500, 502, 503, nil] as [Int?] {
            #expect(policy.decide(status: status, retryAfter: nil, attempt: 1, now: now, deadline: now + 60_000,
                                  jitter: 1) == .retry(at: now + 500))
        }
        #expect(policy.decide(status: 500, retryAfter: nil, attempt: 1, now: now, deadline: now + 60_000, jitter: 0)
                == .retry(at: now + 250))
        #expect(policy.decide(status: 500, retryAfter: nil, attempt: 3, now: now, deadline: now + 60_000, jitter: 1)
                == .retry(at: now + 2000))
        #expect(policy.decide(status: 500, retryAfter: nil, attempt: 5, now: now, deadline: now + 60_000, jitter: 1)
                == .retry(at: now + 8000))
        #expect(policy.decide(status: 500, retryAfter: nil, attempt: 6, now: now, deadline: now + 60_000, jitter: 1)
                == .failed(reason: "retries_exhausted"))
    }

    @Test("Retry-After (seconds or a date) sets the wait; one past the deadline or over a minute ends the retries")
    func retryAfter() {
        #expect(policy.decide(status: 429, retryAfter: "3", attempt: 1, now: now, deadline: now + 60_000, jitter: 0)
                == .retry(at: now + 3000))
        #expect(policy.decide(status: 503, retryAfter: "Tue, 14 Nov 2023 22:13:25 GMT", attempt: 1, now: now,
                              deadline: now + 60_000, jitter: 0) == .retry(at: now + 5000))
        #expect(policy.decide(status: 429, retryAfter: "30", attempt: 1, now: now, deadline: now + 20_000, jitter: 0)
                == .failed(reason: "deadline"))
        #expect(policy.decide(status: 429, retryAfter: "120", attempt: 1, now: now, deadline: now + 600_000, jitter: 0)
                == .failed(reason: "deadline"))
        #expect(policy.decide(status: 500, retryAfter: nil, attempt: 2, now: now, deadline: now + 900, jitter: 1)
                == .failed(reason: "deadline"))
    }

    @Test("Retry-After parsing: delta-seconds, IMF-fixdate, past dates, garbage", arguments: [
        ("0", 0), ("7", 7000), (" 12 ", 12_000), ("999999999999999999999999", 86_400_000),
        ("Tue, 14 Nov 2023 22:13:25 GMT", 5000), ("Tue, 14 Nov 2023 22:13:00 GMT", 0),
        ("Thu, 01 Jan 1970 00:00:00 GMT", 0),
    ])
    func parsing(text: String, milliseconds: Int64) {
        #expect(RetryAfter.milliseconds(text, now: now) == milliseconds, "\(text)")
    }

    @Test("Retry-After forms that are not delta-seconds or IMF-fixdate are ignored", arguments: [
        "", "-1", "1.5", "soon", "Tuesday, 14-Nov-23 22:13:25 GMT", "Tue Nov 14 22:13:25 2023",
        "Tue, 14 Nov 2023 25:13:25 GMT", "Tue, 32 Nov 2023 22:13:25 GMT", "Tue, 14 Foo 2023 22:13:25 GMT",
    ])
    func ignored(text: String) {
        #expect(RetryAfter.milliseconds(text, now: now) == nil)
    }
}
