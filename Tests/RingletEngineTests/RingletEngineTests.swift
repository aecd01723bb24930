import Testing
@testable import RingletEngine
