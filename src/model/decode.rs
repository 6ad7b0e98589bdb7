//! Text files as spreadsheet programs save them: Excel on Chinese Windows
//! writes "CSV (逗号分隔)" in GBK, "Unicode text" in UTF-16 with a byte-order
//! mark, "CSV UTF-8" with one. The encoding is told from the bytes, or
//! given; text that does not decode is refused, never guessed into mojibake.

use encoding_rs::{DecoderResult, Encoding, GB18030, UTF_8};

use crate::error::{Error, Result};

/// The UTF-8 byte-order mark.
const UTF8_MARK: &[u8] = b"\xef\xbb\xbf";

/// What the fix is when a file is refused.
const FIX: &str = "save it from the spreadsheet program as \"CSV UTF-8\", \
                   or name its encoding with --encoding utf-8|gb18030|gbk";

/// Decodes `bytes` (from the file `name`) as `given`, or else as what they
/// are: a byte-order mark decides (UTF-8, UTF-16LE, UTF-16BE); then valid
/// UTF-8 is UTF-8; then GB18030 (a superset of GBK and GB2312) if the bytes
/// decode as it without error. A byte-order mark is never part of the text,
/// also a UTF-8 mark before text in the encoding given.
/// Returns the text and the name of the encoding it was read as.
pub fn decode_text(
    name: &str,
    bytes: &[u8],
    given: Option<&'static Encoding>,
) -> Result<(String, String)> {
    if let Some(encoding) = given {
        // A UTF-8 mark is never text: some tools put one before GBK text
        // too, where its bytes would read as 锘 and swallow the header's
        // first character. (GB18030's own mark is dropped by `strict`.)
        let bytes = bytes.strip_prefix(UTF8_MARK).unwrap_or(bytes);
        return strict(encoding, bytes)
            .map(|text| (text, label(encoding)))
            .map_err(|at| refused(name, format!("it is not valid {} ({at})", label(encoding))));
    }
    if let Some((encoding, mark)) = Encoding::for_bom(bytes) {
        return strict(encoding, &bytes[mark..])
            .map(|text| (text, label(encoding)))
            .map_err(|at| {
                refused(
                    name,
                    format!(
                        "it starts with the {0} byte-order mark but is not valid {0} ({at})",
                        label(encoding)
                    ),
                )
            });
    }
    if bytes.contains(&0) {
        return Err(refused(
            name,
            "it has NUL bytes, as UTF-16 without a byte-order mark has".into(),
        ));
    }
    let not_utf8 = match strict(UTF_8, bytes) {
        Ok(text) => return Ok((text, label(UTF_8))),
        Err(at) => at,
    };
    if mostly_utf8(bytes) {
        // A UTF-8 file with a few stray bytes would often decode as
        // GB18030, every Chinese character turned into nonsense.
        return Err(refused(
            name,
            format!("it is mostly UTF-8 but not valid UTF-8 ({not_utf8})"),
        ));
    }
    strict(GB18030, bytes)
        .map(|text| (text, label(GB18030)))
        .map_err(|not_gb| {
            refused(
                name,
                format!("it is neither UTF-8 ({not_utf8}) nor GB18030/GBK ({not_gb})"),
            )
        })
}

/// Twice as many characters beyond ASCII are valid UTF-8 as bytes are not.
/// In GBK text, few two-byte characters happen to be valid UTF-8 too; a
/// heuristic all the same, so short texts can be misjudged (the summary
/// on stderr names the encoding read, and `--encoding` overrides it).
fn mostly_utf8(bytes: &[u8]) -> bool {
    let (mut valid, mut invalid) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        valid += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        invalid += chunk.invalid().len();
    }
    valid > 2 * invalid
}

/// As people write it: GB18030, UTF-8, UTF-16LE.
fn label(encoding: &'static Encoding) -> String {
    encoding.name().to_ascii_uppercase()
}

fn refused(name: &str, why: String) -> Error {
    Error::Refused(format!("{name}: cannot read the text: {why}; {FIX}"))
}

/// The whole input in `encoding`, or where the first malformed byte is
/// (`line L, byte B`, both counted from 1).
fn strict(encoding: &'static Encoding, bytes: &[u8]) -> std::result::Result<String, String> {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let room = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .ok_or_else(|| "the file is too large".to_string())?;
    let mut text = String::with_capacity(room);
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut text, true);
    match result {
        // GB18030 has a byte-order mark of its own, decoded as U+FEFF.
        DecoderResult::InputEmpty => Ok(match text.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_string(),
            None => text,
        }),
        DecoderResult::Malformed(bad, after) => {
            let at = read - usize::from(after) - usize::from(bad);
            let line = 1 + bytes[..at].iter().filter(|b| **b == b'\n').count();
            Err(format!("line {line}, byte {}", at + 1))
        }
        // The buffer was sized for the worst case.
        DecoderResult::OutputFull => Err("the text does not fit in memory".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::GBK;
    use proptest::prelude::*;

    const TEXT: &str = "姓名,客户类型\n王五,个人\n";

    #[test]
    fn each_encoding_is_told_from_the_bytes() {
        let (gbk, _, _) = GBK.encode(TEXT);
        assert_eq!(
            decode_text("f", &gbk, None).unwrap(),
            (TEXT.into(), "GB18030".into())
        );
        let mut le = vec![0xff, 0xfe];
        le.extend(TEXT.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(
            decode_text("f", &le, None).unwrap(),
            (TEXT.into(), "UTF-16LE".into())
        );
        let bom = [b"\xef\xbb\xbf", TEXT.as_bytes()].concat();
        assert_eq!(decode_text("f", &bom, None).unwrap().0, TEXT);
        assert_eq!(
            decode_text("f", &bom, Some(UTF_8)).unwrap(),
            (TEXT.into(), "UTF-8".into())
        );
        // Plain ASCII is UTF-8.
        assert_eq!(decode_text("f", b"a,b\n", None).unwrap().1, "UTF-8");
    }

    #[test]
    fn malformed_bytes_are_located() {
        let err = decode_text("x.csv", b"a,b\nc\xffd\n", None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("neither UTF-8 (line 2, byte 6) nor GB18030/GBK (line 2, byte 6)"),
            "{err}"
        );
        assert!(
            err.starts_with("x.csv: ") && err.contains("CSV UTF-8"),
            "{err}"
        );
        let (gbk, _, _) = GBK.encode(TEXT);
        let err = decode_text("g.csv", &gbk, Some(UTF_8))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not valid UTF-8 (line 1, byte 1)"), "{err}");
        // A UTF-16 mark with an odd byte at the end.
        let err = decode_text("u.csv", b"\xfe\xff\x00a\x00", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("UTF-16BE byte-order mark"), "{err}");
    }

    #[test]
    fn a_utf8_mark_before_gbk_text_is_not_text() {
        for text in [TEXT, "kind,name\n个人,王五\n"] {
            let (gbk, _, _) = GBK.encode(text);
            let marked = [UTF8_MARK, &gbk].concat();
            for encoding in [GBK, GB18030] {
                assert_eq!(
                    decode_text("f", &marked, Some(encoding)).unwrap().0,
                    text,
                    "{}",
                    encoding.name()
                );
            }
        }
    }

    #[test]
    fn marks_and_nul_bytes() {
        // GB18030 has a byte-order mark of its own; it is not text either.
        let (marked, _, _) = GB18030.encode("\u{feff}a,b\n");
        assert_eq!(decode_text("f", &marked, None).unwrap().0, "a,b\n");
        let err = decode_text("f", b"n\0a\0m\0e\0", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("UTF-16 without a byte-order mark"), "{err}");
    }

    #[test]
    fn utf8_with_a_stray_byte_is_not_read_as_gb18030() {
        // Two-character runs of UTF-8 Chinese pair up as GB18030 characters:
        // the whole file would decode, as nonsense.
        let mut damaged = "姓名,客户类型\n王五,个人\n赵六,企业\n".as_bytes().to_vec();
        // After 赵六, before ",企业\n".
        let at = damaged.len() - 8;
        damaged.insert(at, 0x81);
        damaged.insert(at + 1, 0x40);
        assert!(
            strict(GB18030, &damaged).is_ok(),
            "the test needs GB18030 to decode it"
        );
        let err = decode_text("d.csv", &damaged, None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("mostly UTF-8 but not valid UTF-8 (line 3, byte"),
            "{err}"
        );
    }

    proptest! {
        /// Any text written in UTF-8, UTF-16 with a mark, or GB18030 reads
        /// back as itself, without being told the encoding.
        #[test]
        fn any_text_round_trips(text in "[a-z,\n 王五个人客户€𠀀]{0,40}", which in 0..3usize) {
            let bytes = match which {
                0 => text.as_bytes().to_vec(),
                1 => [&[0xff, 0xfe][..], &text.encode_utf16().flat_map(u16::to_le_bytes).collect::<Vec<_>>()].concat(),
                _ => GB18030.encode(&text).0.into_owned(),
            };
            // Short GB18030 texts can look like UTF-8 with stray bytes: the
            // heuristic's known limit, which `--encoding` overrides.
            prop_assume!(which < 2 || !mostly_utf8(&bytes));
            let (read, _) = decode_text("f", &bytes, None).unwrap();
            prop_assert_eq!(read, text);
        }
    }
}
