//! How emails and phones are compared: the one normalisation the contact writes store in the
//! side tables and the `email` / `phone` filters apply to what they are given.

/// An email as the `email` filter compares it.
pub(crate) fn email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A phone as the `phone` filter compares it: its digits only.
pub(crate) fn phone(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn emails_and_phones_are_normalised_for_matching() {
        assert_eq!(super::email("  Ana@Example.COM "), "ana@example.com");
        assert_eq!(super::phone("+55 (11) 9999-0000"), "551199990000");
    }
}
