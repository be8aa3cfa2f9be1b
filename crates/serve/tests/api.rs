//! The HTTP API as a client uses it: a real server on an ephemeral loopback port over
//! the sample index, plain HTTP/1.1 requests, and the answers checked.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use voc_serve::{Config, Running, ServeError};

struct Answer {
    status: u16,
    headers: String,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
            | b'='
            | b'&'
            | b'/'
            | b'?' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn get(addr: SocketAddr, path: &str, token: Option<&str>) -> Answer {
    request(addr, "GET", &encode(path), token)
}

fn request(addr: SocketAddr, method: &str, path: &str, token: Option<&str>) -> Answer {
    let mut stream = TcpStream::connect(addr).unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let headers = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = headers[9..12].parse().unwrap();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Answer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..line_end]).unwrap().trim(), 16)
                .unwrap();
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

fn serve(dir: &std::path::Path, token: Option<&str>) -> Running {
    let index = Arc::new(voc_index::testing::sample_index(dir).unwrap());
    voc_serve::start(
        index,
        Config {
            bind: "127.0.0.1:0".into(),
            token: token.map(str::to_string),
            threads: 4,
            ..Default::default()
        },
    )
    .unwrap()
}

#[test]
fn search_api_page_errors_and_exports() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), None);
    let addr = server.addr();

    // The page and its assets are bundled, in Chinese, with no external reference.
    let page = get(addr, "/", None);
    assert_eq!(page.status, 200);
    assert!(page.text().contains("投诉检索"));
    assert!(page.headers.contains("Content-Security-Policy"));
    for asset in ["/", "/app.js", "/app.css"] {
        let text = get(addr, asset, None).text();
        assert!(
            !text.contains("http://") || asset == "/app.js",
            "{asset} fetches from elsewhere"
        );
        assert!(!text.contains("https://"), "{asset} fetches from elsewhere");
    }

    let a = get(addr, "/api/search?q=宽带 断网&sort=time&size=2", None);
    assert_eq!(a.status, 200, "{}", a.text());
    let v = a.json();
    assert_eq!(v["total"], 4);
    assert_eq!(v["hits"].as_array().unwrap().len(), 2);
    assert_eq!(v["hits"][0]["id"], "C7");
    assert!(
        v["hits"][0]["snippet_html"]
            .as_str()
            .unwrap()
            .contains("<b>断网</b>")
    );
    let channels = &v["facets"]["channel"];
    assert!(
        channels
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["value"] == "voice" && c["count"] == 2),
        "{channels}"
    );
    assert_eq!(v["facets"]["week"].as_array().unwrap().len(), 6);

    // Pages and filters.
    let v = get(
        addr,
        "/api/search?q=宽带 断网&sort=time&size=2&page=2",
        None,
    )
    .json();
    assert_eq!(v["hits"][0]["id"], "C2");
    let v = get(
        addr,
        "/api/search?q=断网&region=广东&channel=voice&from=2026-11-01",
        None,
    )
    .json();
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["hits"][0]["id"], "C5");
    let v = get(
        addr,
        "/api/search?q=&category=网络质量/网速慢&last=2w",
        None,
    )
    .json();
    assert_eq!(v["total"], 1, "{v}");
    let v = get(
        addr,
        "/api/search?q=\"光猫指示灯一直闪红灯\"&facets=0",
        None,
    )
    .json();
    assert_eq!(v["total"], 2);
    assert!(v.get("facets").is_none());

    // Bad input is a 400 that says what and where, never a 500.
    let a = get(addr, "/api/search?q=(断网 OR", None);
    assert_eq!(a.status, 400);
    let e = &a.json()["error"];
    assert_eq!(e["position"], 7, "{e}");
    assert!(e["message"].as_str().unwrap().contains("after OR"), "{e}");
    let a = get(addr, "/api/search?q=colour:red", None);
    assert_eq!(a.status, 400);
    assert!(
        a.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("known fields")
    );
    let a = get(addr, &format!("/api/search?q={}", "断".repeat(1001)), None);
    assert_eq!(a.status, 400);
    assert!(a.text().contains("at most 1000"));
    let a = get(addr, "/api/search?q=断网&size=201", None);
    assert_eq!(a.status, 400);
    assert!(a.text().contains("at most 200"));
    for bad in [
        "/api/search?q=断网&colour=red",
        "/api/search?q=断网&size=-1",
        "/api/search?q=断网&offset=99999999999999999999999",
        "/api/search?q=断网&sort=random",
        "/api/search?q=断网&risk=angry",
        "/api/search?q=断网&from=yesterday",
        "/api/search?q=%FF%FE",
        "/api/search?q=%22%22",
        "/api/search?q=date:[2026-99-01 TO *]",
        "/api/export?q=断网&format=pdf",
    ] {
        let a = request(addr, "GET", &encode(bad).replace("%25", "%"), None);
        assert_eq!(a.status, 400, "{bad}: {}", a.text());
        assert!(
            a.json()["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{bad}"
        );
    }
    assert_eq!(get(addr, "/api/nothing", None).status, 404);
    assert_eq!(request(addr, "POST", "/api/search", None).status, 405);

    // CSV export: every hit, with a BOM and a Chinese header, formulas defused.
    let a = get(addr, "/api/export?q=断网&sort=time&format=csv", None);
    assert_eq!(a.status, 200);
    assert!(a.headers.contains("attachment"));
    let text = a.text();
    assert!(text.starts_with('\u{FEFF}'));
    let lines: Vec<&str> = text.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), 1 + 5, "{text}");
    assert!(lines[0].contains("编号,时间,周,渠道"));
    assert!(lines[1].starts_with("C8,"));
    assert!(lines[2].contains("光猫指示灯一直闪红灯"));
    // Values in Chinese, as the search page shows them: no channel, sentiment or flag codes.
    for code in [
        "voice",
        "chat",
        "negative",
        "neutral",
        "positive",
        "escalation",
        "churn",
    ] {
        assert!(
            !lines[1..].iter().any(|l| l.split(',').any(|f| f == code)),
            "{code} in {text}"
        );
    }
    assert!(lines[1..].iter().any(|l| l.contains(",电话,")), "{text}");

    // XLSX export: a zip workbook with the hits.
    let a = get(addr, "/api/export?q=断网&format=xlsx", None);
    assert_eq!(a.status, 200);
    assert!(a.body.starts_with(b"PK"), "not a zip");
    assert!(a.headers.contains("X-Voc-Rows: 5"), "{}", a.headers);
    // Read back by an independent reader: the header, the five hits, numbers as numbers.
    use calamine::{Data, Reader, Xlsx};
    let mut workbook: Xlsx<_> = Xlsx::new(std::io::Cursor::new(a.body.clone())).unwrap();
    let range = workbook.worksheet_range("检索结果").unwrap();
    let rows: Vec<&[Data]> = range.rows().collect();
    assert_eq!(rows.len(), 6, "header + 5 hits");
    assert_eq!(rows[0][0], Data::String("编号".into()));
    assert_eq!(rows[0][10], Data::String("情感分值".into()));
    assert!(rows[1..].iter().all(|r| matches!(r[10], Data::Float(_))));
    assert!(
        rows[1..]
            .iter()
            .any(|r| r[9].to_string().contains("光猫指示灯一直闪红灯"))
    );

    server.stop();
}

#[test]
fn tokens_guard_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let token = "s3cret-token-for-tests";
    let server = serve(dir.path(), Some(token));
    let addr = server.addr();
    assert_eq!(get(addr, "/api/search?q=断网", None).status, 401);
    assert_eq!(
        get(addr, "/api/search?q=断网", Some("wrong-token-xxxxxx")).status,
        401
    );
    assert_eq!(get(addr, "/api/export?q=断网", None).status, 401);
    let ok = get(addr, "/api/search?q=断网", Some(token));
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json()["total"], 5);
    // The page holds no data and loads without the token, then asks for it.
    assert_eq!(get(addr, "/", None).status, 200);
    server.stop();

    // Off loopback, a token is mandatory.
    let index = Arc::new(voc_index::ContactIndex::open(dir.path()).unwrap());
    let refused = voc_serve::start(
        index,
        Config {
            bind: "0.0.0.0:0".into(),
            token: None,
            threads: 1,
            ..Default::default()
        },
    );
    assert!(matches!(refused, Err(ServeError::TokenRequired(_))));
}

#[test]
fn eight_clients_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), None);
    let addr = server.addr();
    let clients: Vec<_> = (0..8)
        .map(|i| {
            std::thread::spawn(move || {
                for _ in 0..10 {
                    let q = if i % 2 == 0 {
                        "/api/search?q=断网"
                    } else {
                        "/api/search?q=channel:voice"
                    };
                    assert_eq!(get(addr, q, None).status, 200);
                }
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    server.stop();
}
