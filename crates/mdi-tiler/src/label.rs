//! Label points: the pole of inaccessibility. (Being written.)
