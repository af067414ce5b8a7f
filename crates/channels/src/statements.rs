//! The channels' statements of a day, for reconciliation (`redress reconcile`): written by the
//! sandbox gateway, read by the clients, both here so they cannot drift apart. (The bank's
//! statement is Redress's own protocol, in [`crate::bank`].)
//!
//! Facts from the channels' public documentation and their SDKs; where the record is silent,
//! the choice is written down at the format.

use redress_domain::calendar::shanghai;
use redress_domain::money::Fen;
use redress_domain::reconcile::StatementEntry;

/// `yyyy-MM-dd HH:mm:ss`, Beijing time, as both channels write times (Alipay's request
/// `timestamp` too).
pub fn beijing_time(t: jiff::Timestamp) -> String {
    shanghai().to_datetime(t).strftime("%Y-%m-%d %H:%M:%S").to_string()
}

fn parse_beijing_time(text: &str) -> Option<jiff::Timestamp> {
    let dt = jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", text.trim()).ok()?;
    shanghai().to_timestamp(dt).ok()
}

/// Column positions found by header name (both channels have changed their column lists over
/// the years; names have stayed).
fn columns<const N: usize>(header: &[&str], names: [&str; N]) -> Result<[usize; N], String> {
    let mut out = [0; N];
    for (slot, name) in out.iter_mut().zip(names) {
        *slot = header.iter().position(|h| h.trim() == name).ok_or_else(|| format!("no column {name}"))?;
    }
    Ok(out)
}

/// WeChat Pay API v3 trade bill, `bill_type=REFUND`.
///
/// - `GET /v3/bill/tradebill?bill_date=YYYY-MM-DD&bill_type=REFUND` (signed like any request,
///   signed answer) answers [`BillAnswer`]: `hash_type` `SHA1`, `hash_value` of the file and a
///   `download_url`; `400 NO_STATEMENT_EXIST` when the day had no refund.
/// - The file is fetched with a signed `GET download_url`; its answer carries no signature (as
///   WeChat Pay documents), so it is believed only if its SHA-1 is the signed `hash_value`.
/// - UTF-8 text: the header line, one line per refund *accepted* that day (its status as when
///   the bill was made), then a summary header and one totals line. Every field of a data or
///   totals line starts with a backtick. Amounts are yuan with two decimals, times
///   `yyyy-MM-dd HH:mm:ss` Beijing time.
pub mod wechat {
    use super::*;
    use serde::{Deserialize, Serialize};

    pub const BILL_PATH: &str = "/v3/bill/tradebill";
    pub const DOWNLOAD_PATH: &str = "/v3/billdownload/file";
    /// The error code for a day without a bill.
    pub const NO_STATEMENT: &str = "NO_STATEMENT_EXIST";

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct BillAnswer {
        pub hash_type: String,
        pub hash_value: String,
        pub download_url: String,
    }

    /// The refund bill's columns (the current 29-column format).
    pub const HEADER: [&str; 29] = [
        "交易时间",
        "公众账号ID",
        "商户号",
        "特约商户号",
        "设备号",
        "微信订单号",
        "商户订单号",
        "用户标识",
        "交易类型",
        "交易状态",
        "付款银行",
        "货币种类",
        "应结订单金额",
        "代金券金额",
        "退款申请时间",
        "退款成功时间",
        "微信退款单号",
        "商户退款单号",
        "退款金额",
        "充值券退款金额",
        "退款类型",
        "退款状态",
        "商品名称",
        "商户数据包",
        "手续费",
        "费率",
        "订单金额",
        "申请退款金额",
        "费率备注",
    ];
    const SUMMARY: [&str; 7] = [
        "总交易单数",
        "应结订单总金额",
        "退款总金额",
        "充值券退款总金额",
        "手续费总金额",
        "订单总金额",
        "申请退款总金额",
    ];

    /// One refund on the bill.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Line {
        pub appid: String,
        pub mchid: String,
        pub transaction_id: String,
        pub out_trade_no: String,
        pub refund_id: String,
        pub out_refund_no: String,
        pub refund: Fen,
        pub requested: jiff::Timestamp,
        pub succeeded: Option<jiff::Timestamp>,
        /// `SUCCESS`, `PROCESSING`, `ABNORMAL`, `CLOSED`.
        pub status: String,
    }

    /// The bill file.
    pub fn write(lines: &[Line]) -> String {
        let mut out = HEADER.join(",");
        out.push('\n');
        let mut total = 0;
        for l in lines {
            total += l.refund.get();
            let fields = [
                beijing_time(l.requested),
                l.appid.clone(),
                l.mchid.clone(),
                String::new(),
                String::new(),
                l.transaction_id.clone(),
                l.out_trade_no.clone(),
                String::new(),
                "JSAPI".into(),
                "REFUND".into(),
                "OTHERS".into(),
                "CNY".into(),
                "0.00".into(),
                "0.00".into(),
                beijing_time(l.requested),
                l.succeeded.map(beijing_time).unwrap_or_default(),
                l.refund_id.clone(),
                l.out_refund_no.clone(),
                l.refund.yuan_string(),
                "0.00".into(),
                "ORIGINAL".into(),
                l.status.clone(),
                "售后退款".into(),
                String::new(),
                "0.00000".into(),
                "0.60%".into(),
                "0.00".into(),
                l.refund.yuan_string(),
                String::new(),
            ];
            out.push_str(&ticked(&fields));
        }
        out.push_str(&SUMMARY.join(","));
        out.push('\n');
        let totals = [
            lines.len().to_string(),
            "0.00".into(),
            Fen(total).yuan_string(),
            "0.00".into(),
            "0.00000".into(),
            "0.00".into(),
            Fen(total).yuan_string(),
        ];
        out.push_str(&ticked(&totals));
        out
    }

    fn ticked(fields: &[String]) -> String {
        let mut line = fields.iter().map(|f| format!("`{f}")).collect::<Vec<_>>().join(",");
        line.push('\n');
        line
    }

    /// Reads a refund bill: every refund line, until the summary.
    pub fn parse(text: &str) -> Result<Vec<StatementEntry>, String> {
        let mut lines = text.lines().map(|l| l.trim_end_matches('\r')).filter(|l| !l.trim().is_empty());
        let header: Vec<&str> =
            lines.next().ok_or("an empty bill")?.trim_start_matches('\u{feff}').split(',').collect();
        let [key, refund_id, amount, status, requested, succeeded] =
            columns(&header, ["商户退款单号", "微信退款单号", "退款金额", "退款状态", "退款申请时间", "退款成功时间"])?;
        let mut out = Vec::new();
        for (i, line) in lines.enumerate() {
            if line.starts_with(SUMMARY[0]) {
                return Ok(out);
            }
            let n = i + 2;
            let fields: Vec<&str> = line.split(',').map(|f| f.strip_prefix('`').unwrap_or(f)).collect();
            if fields.len() != header.len() {
                return Err(format!("line {n}: {} fields, the header has {}", fields.len(), header.len()));
            }
            let at = parse_beijing_time(fields[succeeded])
                .or_else(|| parse_beijing_time(fields[requested]))
                .ok_or_else(|| format!("line {n}: no refund time"))?;
            out.push(StatementEntry {
                key: fields[key].to_owned(),
                channel_ref: fields[refund_id].to_owned(),
                amount: Fen::parse_yuan(fields[amount]).map_err(|_| format!("line {n}: 退款金额 is not an amount"))?,
                status: crate::wechat::status(fields[status])
                    .ok_or_else(|| format!("line {n}: unknown 退款状态 {}", fields[status]))?,
                at,
            });
        }
        Err("the bill has no summary: it was cut short".into())
    }

    /// The `hash_value` of a bill (SHA-1, lowercase hex).
    pub fn hash(file: &[u8]) -> String {
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, file);
        d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Alipay's trade bill: `alipay.data.dataservice.bill.downloadurl.query` with
/// `{"bill_type":"trade","bill_date":"YYYY-MM-DD"}` answers a `bill_download_url` (signed
/// like every gateway answer); the URL itself is fetched without a signature and serves a ZIP
/// holding `<pid>_<yyyyMMdd>_业务明细.csv` and `…_业务明细(汇总).csv`, names and contents in
/// GBK. The detail file has four `#` lines, the header, one line per trade or refund completed
/// that day (refunds: `业务类型` `退款`, negative amounts, the request number in
/// `退款批次号/请求号`, the refund time in `完成时间`) and four `#` lines of totals. Alipay
/// guards number-like fields against spreadsheets with a trailing TAB.
pub mod alipay {
    use super::*;
    use serde::{Deserialize, Serialize};
    use std::io::{Read, Write};

    pub const BILL_URL_QUERY: &str = "alipay.data.dataservice.bill.downloadurl.query";

    /// `biz_content` of the bill query.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct BillBiz {
        pub bill_type: String,
        pub bill_date: String,
    }

    pub const HEADER: [&str; 25] = [
        "支付宝交易号",
        "商户订单号",
        "业务类型",
        "商品名称",
        "创建时间",
        "完成时间",
        "门店编号",
        "门店名称",
        "操作员",
        "终端号",
        "对方账户",
        "订单金额（元）",
        "商家实收（元）",
        "支付宝红包（元）",
        "集分宝（元）",
        "支付宝优惠（元）",
        "商家优惠（元）",
        "券核销金额（元）",
        "券名称",
        "商家红包消费金额（元）",
        "卡消费金额（元）",
        "退款批次号/请求号",
        "服务费（元）",
        "分润（元）",
        "备注",
    ];

    /// One refund on the bill.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Line {
        pub trade_no: String,
        pub out_trade_no: String,
        pub out_request_no: String,
        pub refund: Fen,
        pub paid_at: jiff::Timestamp,
        pub refunded_at: jiff::Timestamp,
    }

    fn detail_name(pid: &str, date: jiff::civil::Date, summary: bool) -> String {
        format!("{pid}_{}_业务明细{}.csv", date.strftime("%Y%m%d"), if summary { "(汇总)" } else { "" })
    }

    /// Alipay writes entry names in GBK without the ZIP's UTF-8 flag; the zip library (and so
    /// the sandbox) writes UTF-8. Either is read.
    pub fn entry_name(raw: &[u8]) -> String {
        match std::str::from_utf8(raw) {
            Ok(name) => name.to_owned(),
            Err(_) => encoding_rs::GBK.decode(raw).0.into_owned(),
        }
    }

    fn gbk(text: &str) -> Vec<u8> {
        encoding_rs::GBK.encode(text).0.into_owned()
    }

    /// The bill ZIP of `date` for the account `pid`.
    pub fn write(
        pid: &str,
        date: jiff::civil::Date,
        lines: &[Line],
        exported: jiff::Timestamp,
    ) -> Result<Vec<u8>, String> {
        let day = date.strftime("%Y年%m月%d日").to_string();
        let next = date.tomorrow().map_err(|e| e.to_string())?.strftime("%Y年%m月%d日").to_string();
        let mut csv = format!(
            "#支付宝业务明细查询\n#账号：[{pid}]\n#起始日期：[{day} 00:00:00]   终止日期：[{next} 00:00:00]\n\
             #-----------------------------------------业务明细列表----------------------------------------\n{}\n",
            HEADER.join(",")
        );
        let mut total = 0;
        for l in lines {
            total += l.refund.get();
            let minus = Fen(-l.refund.get()).yuan_string();
            let fields = [
                format!("{}\t", l.trade_no),
                format!("{}\t", l.out_trade_no),
                "退款\t".into(),
                "售后退款".into(),
                beijing_time(l.paid_at),
                beijing_time(l.refunded_at),
                "\t".into(),
                "\t".into(),
                "\t".into(),
                "\t".into(),
                "\t".into(),
                minus.clone(),
                minus,
                "0.00".into(),
                "0.00".into(),
                "0.00".into(),
                "0.00".into(),
                "0.00".into(),
                String::new(),
                "0.00\t".into(),
                "0.00".into(),
                format!("{}\t", l.out_request_no),
                "0.00".into(),
                "0.00".into(),
                "售后退款".into(),
            ];
            csv.push_str(&fields.join(","));
            csv.push('\n');
        }
        let exported = shanghai().to_datetime(exported).strftime("%Y年%m月%d日 %H:%M:%S").to_string();
        csv.push_str(&format!(
            "#-----------------------------------------业务明细列表结束------------------------------------\n\
             #交易合计：0笔，商家实收共0.00元，商家优惠共0.00元\n\
             #退款合计：{}笔，商家实收退款共{}元，商家优惠退款共0.00元\n#导出时间：[{exported}]\n",
            lines.len(),
            Fen(-total).yuan_string()
        ));
        let summary = format!(
            "#支付宝业务汇总查询\n#账号：[{pid}]\n门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）\n合计,,0,{},{},{}\n",
            lines.len(),
            Fen(-total).yuan_string(),
            Fen(-total).yuan_string()
        );
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        for (name, text) in [(detail_name(pid, date, false), csv), (detail_name(pid, date, true), summary)] {
            zip.start_file(name, options).map_err(|e| e.to_string())?;
            zip.write_all(&gbk(&text)).map_err(|e| e.to_string())?;
        }
        Ok(zip.finish().map_err(|e| e.to_string())?.into_inner())
    }

    /// Reads the refunds of a bill ZIP (trades are not Redress's business).
    pub fn parse(zip_bytes: &[u8]) -> Result<Vec<StatementEntry>, String> {
        let mut zip =
            zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).map_err(|e| format!("not a bill ZIP: {e}"))?;
        let mut detail = None;
        for i in 0..zip.len() {
            let mut f = zip.by_index(i).map_err(|e| e.to_string())?;
            let name = entry_name(f.name_raw());
            if name.ends_with("业务明细.csv") {
                let mut bytes = Vec::new();
                f.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
                detail = Some(bytes);
            }
        }
        let bytes = detail.ok_or("the bill ZIP holds no 业务明细.csv")?;
        let (text, _, bad) = encoding_rs::GBK.decode(&bytes);
        if bad {
            return Err("the bill is not GBK text".into());
        }
        let mut lines =
            text.lines().map(|l| l.trim_end_matches('\r')).filter(|l| !l.starts_with('#') && !l.trim().is_empty());
        let header: Vec<&str> = lines.next().ok_or("the bill has no header")?.split(',').collect();
        let [kind, trade_no, done, amount, request] =
            columns(&header, ["业务类型", "支付宝交易号", "完成时间", "商家实收（元）", "退款批次号/请求号"])?;
        let mut out = Vec::new();
        for (i, line) in lines.enumerate() {
            let fields: Vec<&str> = line.split(',').map(|f| f.trim_end_matches('\t').trim()).collect();
            let n = i + 1;
            if fields.len() != header.len() {
                return Err(format!("data line {n}: {} fields, the header has {}", fields.len(), header.len()));
            }
            if fields[kind] != "退款" {
                continue;
            }
            let fen = Fen::parse_yuan(fields[amount].trim_start_matches('-'))
                .map_err(|_| format!("data line {n}: 商家实收 is not an amount"))?;
            out.push(StatementEntry {
                key: fields[request].to_owned(),
                channel_ref: fields[trade_no].to_owned(),
                amount: fen,
                status: redress_domain::payout::ChannelStatus::Succeeded,
                at: parse_beijing_time(fields[done]).ok_or_else(|| format!("data line {n}: 完成时间 is not a time"))?,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
