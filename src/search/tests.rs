use super::*;
use crate::clock::Timestamp;
use crate::model::NewTicket;

fn ticket(id: &str, title: &str, description: &str) -> Ticket {
    let at = Timestamp::parse("2026-10-01T09:00:00+08:00").unwrap();
    let mut new = NewTicket::sample();
    new.title = title.into();
    new.description = description.into();
    Ticket::create(id.into(), new, at, "li.na")
}

fn rank(query: &str, docs: &[Ticket]) -> Vec<String> {
    let q = Query::parse(query);
    let mut r = Ranking::new(&q);
    for t in docs {
        r.add(&t.id, &Document::of(t), true);
    }
    r.hits().into_iter().map(|h| h.key).collect()
}

#[test]
fn a_chinese_query_finds_other_wording_and_ranks_the_closer_first() {
    let docs = [
        ticket("A", "设备升级后无法开机", "固件升级完成后按电源键没有反应"),
        ticket("B", "开机很慢", "每次开机要两分钟"),
        ticket("C", "发票抬头错误", "请重开发票"),
    ];
    // Worded differently: 不能开机 shares 开机 with both, 升级 only with A.
    assert_eq!(rank("升级以后不能开机", &docs), ["A", "B"]);
    assert_eq!(rank("开机 -升级", &docs), ["B"]);
    assert_eq!(rank("发票", &docs), ["C"]);
    assert!(rank("退款", &docs).is_empty());
}

#[test]
fn notes_and_the_resolution_are_searched() {
    let mut t = ticket("A", "打印机故障", "");
    let at = Timestamp::parse("2026-10-02T09:00:00+08:00").unwrap();
    t.update("更换了定影器 fuser".into(), None, at, "li.na")
        .unwrap();
    assert_eq!(rank("Fuser", &[t.clone()]), ["A"]);
    assert_eq!(rank("定影器", &[t]), ["A"]);
}

#[test]
fn a_snippet_shows_the_words_and_no_personal_number() {
    let q = Query::parse("无法开机");
    let text = "客户张三（电话 13812345678）说设备升级后无法开机，已远程指导";
    let (snip, ranges) = snippet(text, &q, 30).unwrap();
    assert!(!snip.contains("13812345678"), "{snip}");
    assert!(snip.contains("无法开机"), "{snip}");
    let marked: Vec<&str> = ranges.iter().map(|&(s, e)| &snip[s..e]).collect();
    assert!(marked.iter().any(|m| m.contains("开机")), "{marked:?}");
    assert_eq!(snippet("nothing here", &q, 30), None);
}

proptest::proptest! {
    #[test]
    fn snippets_of_any_text_are_cut_on_characters(text in "\\PC{0,200}", query in "\\PC{0,20}") {
        let q = Query::parse(&query);
        if let Some((snip, ranges)) = snippet(&text, &q, 40) {
            for (s, e) in ranges {
                proptest::prop_assert!(snip.is_char_boundary(s) && snip.is_char_boundary(e) && s <= e);
            }
        }
    }
}
