import Testing
@testable import RingletICE
