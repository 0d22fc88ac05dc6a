//! Reading a leak into rows of classified values.
