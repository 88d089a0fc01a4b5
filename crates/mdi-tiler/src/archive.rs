//! Archive writers: PMTiles v3 and MBTiles. (Being written.)
