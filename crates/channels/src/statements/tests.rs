//! The statements written and read back, against their formats' own quirks.

use super::*;
use redress_domain::payout::ChannelStatus;

fn t(s: &str) -> jiff::Timestamp {
    s.parse().expect("timestamp")
}

#[test]
fn a_wechat_refund_bill_reads_back_what_was_written() {
    let line = |key: &str, fen: i64, status: &str, done: Option<&str>| wechat::Line {
        appid: "wx0".into(),
        mchid: "1900000100".into(),
        transaction_id: "4200000001".into(),
        out_trade_no: "ORD-1".into(),
        refund_id: format!("5030{key}"),
        out_refund_no: key.into(),
        refund: Fen(fen),
        requested: t("2026-11-24T01:00:00Z"),
        succeeded: done.map(t),
        status: status.into(),
    };
    let text = wechat::write(&[
        line("RF-20261124-AAAAAA-P1", 2550, "SUCCESS", Some("2026-11-24T01:00:03Z")),
        line("RF-20261124-BBBBBB-P1", 1, "PROCESSING", None),
    ]);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(wechat::HEADER.join(",").as_str()));
    let first = lines.next().expect("a refund line");
    assert!(first.starts_with("`2026-11-24 09:00:00,`wx0,"), "Beijing time, ticked: {first}");
    assert!(first.ends_with(",`25.50,`"), "{first}");
    assert!(text.ends_with("`2,`0.00,`25.51,`0.00,`0.00000,`0.00,`25.51\n"), "{text}");
    let read = wechat::parse(&text).expect("bill");
    assert_eq!(read.len(), 2);
    assert_eq!(
        read[0],
        StatementEntry {
            key: "RF-20261124-AAAAAA-P1".into(),
            channel_ref: "5030RF-20261124-AAAAAA-P1".into(),
            amount: Fen(2550),
            status: ChannelStatus::Succeeded,
            at: t("2026-11-24T01:00:03Z"),
        }
    );
    assert_eq!((read[1].status, read[1].at), (ChannelStatus::Processing, t("2026-11-24T01:00:00Z")));
    // Windows line ends and a byte-order mark are read too.
    assert_eq!(wechat::parse(&format!("\u{feff}{}", text.replace('\n', "\r\n"))).expect("crlf"), read);
    // A bill cut short, or with a line of another shape, is refused.
    let cut: String = text.lines().take(2).map(|l| format!("{l}\n")).collect();
    assert!(wechat::parse(&cut).is_err());
    assert!(wechat::parse(&text.replace(",`25.50,`", ",`25.50,`,`")).expect_err("shape").contains("line 2"));
    // SHA-1 known answer (FIPS 180-2 "abc").
    assert_eq!(wechat::hash(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

#[test]
fn an_alipay_bill_zip_is_gbk_and_reads_back_its_refunds() {
    let date = jiff::civil::date(2026, 11, 24);
    let line = refund_line("RF-20261124-AAAAAA-P1", 1999);
    let zip_bytes = alipay::write("20880000000000000156", date, &[line], t("2026-11-25T02:00:00Z")).expect("zip");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&zip_bytes)).expect("a ZIP");
    let names: Vec<String> =
        (0..zip.len()).map(|i| alipay::entry_name(zip.by_index(i).expect("entry").name_raw())).collect();
    assert_eq!(
        names,
        ["20880000000000000156_20261124_业务明细.csv", "20880000000000000156_20261124_业务明细(汇总).csv"]
    );
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut zip.by_index(0).expect("detail"), &mut raw).expect("read");
    assert!(std::str::from_utf8(&raw).is_err(), "GBK, not UTF-8");
    let text = encoding_rs::GBK.decode(&raw).0.into_owned();
    assert!(text.contains("\n退款\t,") || text.contains(",退款\t,"), "{text}");
    assert!(text.contains(",-19.99,-19.99,"), "{text}");
    assert!(text.contains("#退款合计：1笔，商家实收退款共-19.99元"), "{text}");
    let read = alipay::parse(&zip_bytes).expect("bill");
    assert_eq!(
        read,
        vec![StatementEntry {
            key: "RF-20261124-AAAAAA-P1".into(),
            channel_ref: "2026112422001400000001".into(),
            amount: Fen(1999),
            status: ChannelStatus::Succeeded,
            at: t("2026-11-24T03:04:05Z"),
        }]
    );
    assert!(alipay::parse(b"not a zip").is_err());
    assert_eq!(alipay::entry_name(&encoding_rs::GBK.encode("X_业务明细.csv").0), "X_业务明细.csv");
}

#[test]
fn alipay_payment_lines_are_not_refunds() {
    // A real bill also lists the day's payments (业务类型 交易): they are skipped.
    let head = alipay::HEADER.join(",");
    let pay = "2026112422001400000009\t,ORD-9\t,交易\t,套餐,2026-11-24 10:00:00,2026-11-24 10:00:05,\t,\t,\t,\t,\t,30.00,30.00,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,\t,0.00,0.00,";
    let text = format!("#支付宝业务明细查询\n{head}\n{pay}\n#导出时间：[2026年11月25日 10:00:00]\n");
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("X_20261124_业务明细.csv", zip::write::SimpleFileOptions::default()).expect("entry");
    std::io::Write::write_all(&mut zip, &encoding_rs::GBK.encode(&text).0).expect("write");
    let bytes = zip.finish().expect("zip").into_inner();
    assert_eq!(alipay::parse(&bytes).expect("bill"), vec![]);
}

fn refund_line(key: &str, fen: i64) -> alipay::Line {
    alipay::Line {
        trade_no: "2026112422001400000001".into(),
        out_trade_no: "ORD-1".into(),
        out_request_no: key.into(),
        refund: Fen(fen),
        paid_at: t("2026-11-20T03:00:00Z"),
        refunded_at: t("2026-11-24T03:04:05Z"),
    }
}
