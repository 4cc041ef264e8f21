//! The PostgreSQL figures.

pub fn run(_rounds: usize) {}
