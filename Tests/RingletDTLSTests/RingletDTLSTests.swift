import Testing
@testable import RingletDTLS
