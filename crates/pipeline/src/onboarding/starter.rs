//! The starter taxonomy and dictionaries `voc init` writes: the demo's structure
//! (pipelines/demo), small and generic, for the user to grow from their own data.

pub(super) const TAXONOMY: &str = r#"# Starter complaint taxonomy (投诉分类) written by `voc init`: a few generic categories
# to grow from. Same structure as pipelines/demo/taxonomy.toml.
#
# One [[category]] per leaf; the id is a path and its parents are implied.
# Terms are matched on jieba tokens (a term is cut with the same segmenter and must
# occur as consecutive tokens); a term right after a negation word (不/没/没有/未/无/别)
# does not count. `scope = "customer"` looks at customer turns and work-order notes.
# `voc taxonomy test weekly.toml` checks every must_match / must_not_match example.

[[category]]
id = "物流配送/发货慢"
name = "发货慢"
owner = "物流部"
complaint = true
scope = "customer"
any = ["发货慢", "还没发货", "物流慢", "快递慢", "送货慢", "配送慢", "迟迟不到", "一直没到"]
all = []
none = []
must_match = ["下单三天了还没发货", "快递一直没到"]
must_not_match = ["发货很快，第二天就到了"]

[[category]]
id = "售后服务/退款退货"
name = "退款退货"
owner = "售后服务部"
complaint = true
scope = "customer"
any = ["退款", "退货", "退钱", "换货", "退换"]
all = []
none = []
must_match = ["申请退款一直没到账", "我要退货"]
must_not_match = ["东西挺好的"]

[[category]]
id = "产品质量/质量问题"
name = "质量问题"
owner = "质量管理部"
complaint = true
scope = "customer"
any = ["质量差", "质量太差", "破损", "瑕疵", "故障", "坏了", "假货"]
all = []
none = []
must_match = ["收到的东西是坏了的", "质量太差了"]
must_not_match = ["质量很好"]

[[category]]
id = "费用账单/乱扣费"
name = "乱扣费"
owner = "计费部"
complaint = true
scope = "customer"
any = ["乱扣费", "多扣", "*扣费*", "乱收费", "多收钱"]
all = []
none = []
must_match = ["莫名其妙被扣费了", "这个月多扣了二十块"]
must_not_match = ["想查一下余额"]

[[category]]
id = "服务体验/服务态度"
name = "服务态度"
owner = "客服中心"
complaint = true
scope = "customer"
any = ["态度差", "态度很差", "态度不好", "不耐烦", "没人理", "推诿", "敷衍"]
all = []
none = []
must_match = ["客服态度很差", "打了几次电话都没人理"]
must_not_match = ["客服很耐心"]

[[category]]
id = "咨询/账号登录"
name = "账号登录"
owner = "客服中心"
complaint = false
scope = "customer"
any = ["登录", "登不上", "密码", "验证码", "账号"]
all = []
none = []
must_match = ["账号登不上去", "收不到验证码"]
must_not_match = ["我想问一下发票"]
"#;

/// `word freq tag` per line (no comments: jieba's format): products, plans and jargon
/// the user adds so they stay one word.
pub(super) const USER_DICTIONARY: &str = "发货慢 2000 n
退款 2000 v
退货 2000 v
换货 2000 v
乱扣费 2000 v
验证码 2000 n
态度差 2000 a
";

pub(super) const STOPWORDS: &str =
    "# Stop words for word statistics (new terms, keywords per category).
# One word per line; lines starting with # are comments. Stop words stay in the stored
# tokens (negation and proximity rules need them) and are only left out of counts.
我
你
您
他
她
我们
你们
的
了
吗
呢
吧
啊
和
与
就是
然后
这个
那个
一下
谢谢
好的
您好
请问
";
