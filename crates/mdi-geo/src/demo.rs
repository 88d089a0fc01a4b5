//! Placeholder: the generated demo region is being written.
