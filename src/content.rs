//! Content: reading the site folder and the model it becomes.
//!
//! [`discover`] is the only stage that walks the site folder; every path it (and `serve`) reads
//! goes through [`confine`], the input rule (no symbolic link is followed). [`source`] decodes the
//! text files as office staff save them (BOM, CRLF, GBK) and maps offsets to lines and columns;
//! [`frontmatter`] reads and checks the TOML/YAML blocks; [`model`] is the site as the later
//! stages see it (guides, channels, steps, figures and slots), free of any stage's types;
//! [`validate`] holds the checks on it that build, check and serve share.

pub mod confine;
pub mod discover;
pub mod frontmatter;
pub mod model;
pub mod source;
pub mod validate;
