//! The commands that read a site without building it: [`check`] (every problem, nothing written),
//! [`links`] (the link table) and [`shots`] (the shot list), each a thin driver over the
//! [`pipeline`](crate::pipeline) stages; and [`scaffold`] (`init`, `new`), which writes a new
//! site or guide and never touches what exists. `build`, `pdf` and `serve` live in the crate
//! root, in [`crate::output`] and in [`crate::serve`]; `main.rs` only parses arguments and prints.

pub mod check;
pub mod links;
pub mod scaffold;
pub mod shots;
