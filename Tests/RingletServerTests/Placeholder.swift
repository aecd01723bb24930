// Tests for RingletServerTests
