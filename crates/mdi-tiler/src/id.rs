//! Stable numeric feature ids from area codes. (Being written.)
