//! The commands that read a site without building it: [`check`] (every problem, nothing written)
//! and [`shots`] (the shot list). `build`, `pdf` and `serve` live in the crate root, in
//! [`crate::output`] and in [`crate::serve`]; `main.rs` only parses arguments and prints.

pub mod check;
pub mod shots;
