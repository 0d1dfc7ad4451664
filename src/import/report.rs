//! The report import ends with: what it made (guide, channels, steps, pictures) and every guess
//! or loss ([`Note`]) with its place in the document, as text for people or JSON for scripts.

use serde::Serialize;

use super::map::{Guide, Note};

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The guide's folder name (its address).
    pub guide: String,
    /// `content/GUIDE`.
    pub folder: String,
    /// Where an existing folder was moved (`--force`), relative to the site root.
    pub replaced: Option<String>,
    pub title: String,
    pub attachment: Option<String>,
    pub channels: Vec<ChannelReport>,
    pub steps: usize,
    /// Pictures kept from the document.
    pub pictures: usize,
    /// Of them, how many the site shows as slots (formats pages cannot show).
    pub slots: usize,
    pub notes: Vec<Note>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChannelReport {
    pub id: String,
    pub title: String,
    pub file: String,
    pub steps: usize,
    pub pictures: usize,
}

impl Report {
    pub fn new(slug: &str, guide: &Guide, replaced: Option<String>) -> Report {
        let channels: Vec<ChannelReport> = guide
            .channels
            .iter()
            .map(|c| ChannelReport {
                id: c.id.clone(),
                title: c.title.clone(),
                file: format!("content/{slug}/{}.md", c.id),
                steps: c.steps.len(),
                pictures: c.steps.iter().map(|s| s.pictures).sum(),
            })
            .collect();
        Report {
            guide: slug.to_string(),
            folder: format!("content/{slug}"),
            replaced,
            title: guide.title.clone(),
            attachment: guide.attachment.clone(),
            steps: channels.iter().map(|c| c.steps).sum(),
            pictures: guide.images.len(),
            slots: guide
                .channels
                .iter()
                .flat_map(|c| &c.steps)
                .map(|s| s.slots)
                .sum(),
            channels,
            notes: guide.notes.clone(),
        }
    }

    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    pub fn text(&self) -> String {
        let mut s = String::new();
        let label = self
            .attachment
            .as_deref()
            .map(|a| format!("{a}："))
            .unwrap_or_default();
        s.push_str(&format!(
            "imported “{label}{}” into {}/\n",
            self.title, self.folder
        ));
        if let Some(r) = &self.replaced {
            s.push_str(&format!("  the folder that was there is kept as {r}/\n"));
        }
        for c in &self.channels {
            s.push_str(&format!(
                "  {:<14} {} step{}, {} picture{}  “{}”\n",
                format!("{}.md", c.id),
                c.steps,
                if c.steps == 1 { "" } else { "s" },
                c.pictures,
                if c.pictures == 1 { "" } else { "s" },
                c.title
            ));
        }
        s.push_str(&format!(
            "  {} channel{}, {} step{}, {} picture{}{}\n",
            self.channels.len(),
            if self.channels.len() == 1 { "" } else { "s" },
            self.steps,
            if self.steps == 1 { "" } else { "s" },
            self.pictures,
            if self.pictures == 1 { "" } else { "s" },
            if self.slots > 0 {
                format!(" ({} shown as slots)", self.slots)
            } else {
                String::new()
            }
        ));
        if !self.notes.is_empty() {
            s.push_str(&format!("\nto review ({}):\n", self.notes.len()));
            for n in &self.notes {
                let place = if n.paragraph > 0 {
                    format!("paragraph {} “{}”", n.paragraph, n.words)
                } else {
                    "the document".to_string()
                };
                s.push_str(&format!("  [{}] {place}: {}\n", n.kind, n.message));
            }
        }
        s.push_str("\nnext: `guidepost serve` to look at it, `guidepost check` lists what is left to review, `guidepost build` publishes it\n");
        s
    }
}
