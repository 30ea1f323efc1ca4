//! Refusals of the file itself, before any cell is read: empty, not xlsx,
//! encrypted, too large, zip bombs, broken, not a tenken form.

use super::*;

fn refused_file(bytes: &[u8], limits: &Limits) -> String {
    match read_grid(bytes, limits) {
        Ok(_) => panic!("read, expected a refusal"),
        Err(ImportRefusal::File(m)) => m,
        Err(other) => panic!("expected a file refusal, got {other:?}"),
    }
}

fn sample_form() -> Vec<u8> {
    let catalog = tenken::checklists::load_catalog(None).expect("catalog");
    let data = tenken::excel::form_export::FormData {
        catalog: &catalog,
        variant: Variant::Municipal,
        org_code: SAPPORO.into(),
        org_name: "札幌市".into(),
        fiscal_year: fy(2007),
        current: HashMap::new(),
        previous: HashMap::new(),
        conditions: BTreeMap::new(),
        plans: HashMap::new(),
    };
    build_form(&data).expect("form")
}

#[test]
fn an_empty_file_is_refused() {
    assert_eq!(refused_file(b"", &Limits::DEFAULT), "ファイルが空です");
}

#[test]
fn a_file_that_is_not_xlsx_is_refused() {
    let want = "xlsx 形式のファイルではありません（Excel ブック (*.xlsx) を選んでください）";
    assert_eq!(
        refused_file(b"code,score\n011002,3\n", &Limits::DEFAULT),
        want
    );
    assert_eq!(refused_file(b"%PDF-1.7\n", &Limits::DEFAULT), want);
}

/// An OLE compound file header followed by directory names in UTF-16LE.
fn cfb(names: &[&str]) -> Vec<u8> {
    let mut bytes = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    bytes.resize(512, 0);
    for n in names {
        let mut entry: Vec<u8> = n.encode_utf16().flat_map(u16::to_le_bytes).collect();
        entry.resize(128, 0);
        bytes.extend(entry);
    }
    bytes
}

#[test]
fn an_encrypted_workbook_is_refused() {
    assert_eq!(
        refused_file(&cfb(&["Root Entry", "EncryptionInfo", "EncryptedPackage"]), &Limits::DEFAULT),
        "パスワードで保護（暗号化）されたブックは読み込めません。Excel でパスワードを解除して保存し直してから取り込んでください"
    );
}

#[test]
fn an_old_xls_is_refused() {
    assert_eq!(
        refused_file(&cfb(&["Root Entry", "Workbook"]), &Limits::DEFAULT),
        "Excel 97-2003 形式（.xls）などの古い形式は読み込めません。Excel で「Excel ブック (*.xlsx)」として保存し直してください"
    );
}

#[test]
fn a_huge_file_is_refused_before_unzipping() {
    let mut bytes = b"PK\x03\x04".to_vec();
    bytes.resize(11 * 1024 * 1024, 0);
    assert_eq!(
        refused_file(&bytes, &Limits::DEFAULT),
        "ファイルが大きすぎます（11.0 MiB、上限 10.0 MiB）"
    );
}

/// Sets the uncompressed size of every part, in the local headers and the
/// central directory, to `size`: a zip that claims to unpack that big.
fn claim_size(bytes: &[u8], size: u32) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let mut i = 0;
    while i + 4 <= out.len() {
        let field = match &out[i..i + 4] {
            b"PK\x03\x04" => Some(i + 22),
            b"PK\x01\x02" => Some(i + 24),
            _ => None,
        };
        if let Some(f) = field {
            out[f..f + 4].copy_from_slice(&size.to_le_bytes());
        }
        i += 1;
    }
    out
}

#[test]
fn a_zip_bomb_is_refused_by_its_declared_size() {
    let bomb = claim_size(&sample_form(), 3_000_000_000);
    assert_eq!(
        refused_file(&bomb, &Limits::DEFAULT),
        "展開すると大きすぎるブックです（1部品 25.0 MiB・合計 50.0 MiB まで）。圧縮爆弾の疑いがあるため読み込みません"
    );
}

#[test]
fn a_zip_bomb_that_lies_about_its_size_is_stopped_while_unpacking() {
    // 2 MiB of zeros that claims to be 100 bytes, against a 1 MiB cap.
    let parts = vec![("xl/zeros.xml".to_string(), vec![b' '; 2 * 1024 * 1024])];
    let bomb = claim_size(&zip_of(&parts), 100);
    let limits = Limits {
        max_entry_bytes: 1024 * 1024,
        ..Limits::DEFAULT
    };
    assert_eq!(
        refused_file(&bomb, &limits),
        "展開すると大きすぎるブックです（1部品 1.0 MiB・合計 50.0 MiB まで）。圧縮爆弾の疑いがあるため読み込みません"
    );
}

#[test]
fn too_many_parts_are_refused() {
    let parts: Vec<(String, Vec<u8>)> = (0..501)
        .map(|i| (format!("xl/p{i}.xml"), b"<a/>".to_vec()))
        .collect();
    assert_eq!(
        refused_file(&zip_of(&parts), &Limits::DEFAULT),
        "ブックの中の部品が多すぎます（501 個、上限 500 個）"
    );
}

#[test]
fn a_truncated_workbook_is_refused() {
    let form = sample_form();
    let cut = &form[..form.len() / 2];
    assert_eq!(
        refused_file(cut, &Limits::DEFAULT),
        "xlsx ファイルとして読めません。ファイルが壊れています（invalid Zip archive: Could not find EOCD）"
    );
}

#[test]
fn a_workbook_without_the_form_sheet_is_refused() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    workbook
        .add_worksheet()
        .write_string(0, 0, "tenken-form/1")
        .expect("write");
    let bytes = workbook.save_to_buffer().expect("save");
    assert_eq!(
        refused_file(&bytes, &Limits::DEFAULT),
        "シート「調査票」がありません。tenken で出力した調査票（tenken export form または団体のページからダウンロードしたもの）を使ってください"
    );
}

#[test]
fn a_sheet_named_like_the_form_without_its_mark_is_refused() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let ws = workbook.add_worksheet();
    ws.set_name("調査票").expect("name");
    ws.write_string(0, 0, "回答").expect("write");
    let bytes = workbook.save_to_buffer().expect("save");
    let mut env = env();
    refused(
        &mut env,
        &bytes,
        &["調査票!A1: tenken の調査票ではありません（印「tenken-form/1」がありません）。tenken で出力した調査票を使ってください".into()],
    );
}

#[test]
fn cell_references_beyond_the_grid_are_refused() {
    let form = sample_form();
    let reversed = edit_part(&form, SHEET_XML, |xml| {
        let start = xml.find("<dimension ref=\"").expect("dimension") + 16;
        let end = start + xml[start..].find('"').expect("quote");
        let mut xml = xml;
        xml.replace_range(start..end, "K200:A1");
        xml
    });
    assert_eq!(
        refused_file(&reversed, &Limits::DEFAULT),
        "ブックの中の xl/worksheets/sheet1.xml が壊れています（範囲「K200:A1」が不正です）"
    );
    let far = edit_part(&form, SHEET_XML, |xml| {
        xml.replacen("<c r=\"A1\"", "<c r=\"A99999999999\"", 1)
    });
    assert_eq!(
        refused_file(&far, &Limits::DEFAULT),
        "ブックの中の xl/worksheets/sheet1.xml が壊れています（セル番地「A99999999999」が範囲外です）"
    );
    let strings = edit_part(&form, "xl/sharedStrings.xml", |xml| {
        let start = xml.find("uniqueCount=\"").expect("uniqueCount") + 13;
        let end = start + xml[start..].find('"').expect("quote");
        let mut xml = xml;
        xml.replace_range(start..end, "4000000000000");
        xml
    });
    assert_eq!(
        refused_file(&strings, &Limits::DEFAULT),
        "ブックの中の xl/sharedStrings.xml が壊れています（文字列の数 4000000000000 が多すぎます）"
    );
}

#[test]
fn too_many_cells_are_refused() {
    let limits = Limits {
        max_cells: 100,
        ..Limits::DEFAULT
    };
    assert_eq!(
        refused_file(&sample_form(), &limits),
        "シート「調査票」のセルが多すぎます（上限 100 個）"
    );
}

#[test]
fn the_size_message_names_both_sizes() {
    assert_eq!(
        limits::too_big(
            2048,
            &Limits {
                max_file_bytes: 1000,
                ..Limits::DEFAULT
            }
        ),
        "ファイルが大きすぎます（2048 バイト、上限 1000 バイト）"
    );
}
