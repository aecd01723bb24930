// RingletTestSupport: placeholder replaced by the first real file.
import RingletCore
