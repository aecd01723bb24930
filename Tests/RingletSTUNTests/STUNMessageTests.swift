import Testing
@testable import RingletSTUN
