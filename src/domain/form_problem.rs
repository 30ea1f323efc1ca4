//! A problem with what someone typed into a form, tied to the field it is
//! about: the error summary at the top of the page links to the field
//! (`#field`), and the field names its message in `aria-describedby`
//! (templates/macros.html, the Digital Agency design system's convention).

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    /// The `id` of the form control; empty for a problem of the whole form.
    pub field: String,
    pub message: String,
}

impl FieldProblem {
    /// A problem of the field whose `id` is `field`.
    pub fn on(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A problem of the whole form, listed in the summary without a link.
    pub fn form(message: impl Into<String>) -> Self {
        Self::on("", message)
    }
}
