//! Typed events, converted to ABCI events by the app.

/// An event emitted by a message handler or a block hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The event type, `module.action` style (e.g. `bank.transfer`).
    pub kind: String,
    /// Ordered attributes.
    pub attributes: Vec<(String, String)>,
}

impl Event {
    /// A new event with no attributes.
    pub fn new(kind: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            attributes: Vec::new(),
        }
    }

    /// Adds an attribute.
    #[must_use]
    pub fn attr(mut self, key: impl Into<String>, value: impl ToString) -> Self {
        self.attributes.push((key.into(), value.to_string()));
        self
    }
}
