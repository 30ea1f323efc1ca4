//! The workbook limits count shared strings as they are, not as declared.

#[test]
fn shared_strings_are_counted_as_they_are_not_as_declared() {
    use tenken::excel::limits::{self, Limits};
    let limits = Limits {
        max_shared_strings: 1_000,
        ..Limits::DEFAULT
    };
    let workbook = |n: usize| {
        let mut sst = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
             <sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">",
        );
        for i in 0..n {
            sst.push_str(&format!("<si><t>s{i}</t></si>"));
        }
        sst.push_str("</sst>");
        crate::xlsx::zip_of(&[("xl/sharedStrings.xml".to_string(), sst.into_bytes())])
    };
    assert_eq!(limits::check(&workbook(1_000), &limits), Ok(()));
    assert_eq!(
        limits::check(&workbook(1_001), &limits),
        Err(
            "ブックの中の xl/sharedStrings.xml が壊れています（文字列（<si>）が 1000 個を超えています）"
                .to_string()
        ),
        "no uniqueCount, 1,001 real entries"
    );
}
