// Tests for RingletStoreTests
