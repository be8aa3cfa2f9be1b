//! The starter taxonomy and dictionaries `voc init` writes: the demo's structure
//! (pipelines/demo), small and generic, for the user to grow from their own data; or,
//! with `--starter`, one of the industry taxonomies under pipelines/starters/ (embedded
//! here, so the binary carries them).

/// An industry starter taxonomy `voc init --starter NAME` writes instead of the generic one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Starter {
    Telecom,
    Ecommerce,
    Banking,
    Government,
}

impl Starter {
    pub const ALL: [Starter; 4] = [
        Starter::Telecom,
        Starter::Ecommerce,
        Starter::Banking,
        Starter::Government,
    ];

    /// The name given to `--starter`.
    pub fn name(self) -> &'static str {
        match self {
            Starter::Telecom => "telecom",
            Starter::Ecommerce => "ecommerce",
            Starter::Banking => "banking",
            Starter::Government => "government",
        }
    }

    pub fn from_name(name: &str) -> Option<Starter> {
        Starter::ALL.into_iter().find(|s| s.name() == name)
    }

    /// What the starter covers, for `voc init --help` and its summary.
    pub fn description(self) -> &'static str {
        match self {
            Starter::Telecom => {
                "电信运营商: network quality, charging disputes, customer service, business handling, marketing, terminals"
            }
            Starter::Ecommerce => {
                "电商零售: logistics, refunds and returns, after-sales, product quality, prices and promotions, invoices, account and payment"
            }
            Starter::Banking => {
                "银行与信用卡: cards, disputed transactions, transfers, loans, wealth products, branches and apps, collection"
            }
            Starter::Government => {
                "12345 政务热线: urban management, environment, housing, traffic, wages, social security, utilities"
            }
        }
    }

    /// The taxonomy file's text.
    pub fn taxonomy(self) -> &'static str {
        match self {
            Starter::Telecom => include_str!("../../../../pipelines/starters/telecom.toml"),
            Starter::Ecommerce => include_str!("../../../../pipelines/starters/ecommerce.toml"),
            Starter::Banking => include_str!("../../../../pipelines/starters/banking.toml"),
            Starter::Government => include_str!("../../../../pipelines/starters/government.toml"),
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use voc_classify::{RiskTerms, TaxonomySpec};

    /// What `voc taxonomy test` checks on a folder `voc init --starter` wrote: every
    /// example of every category, cut by a segmenter that keeps the terms whole.
    #[test]
    fn every_starter_passes_its_own_examples() {
        let mut failures = Vec::new();
        for starter in Starter::ALL.into_iter().map(Some).chain([None]) {
            let (name, text) = match starter {
                Some(s) => (s.name(), s.taxonomy()),
                None => ("generic", TAXONOMY),
            };
            let spec = TaxonomySpec::parse(text, &format!("{name}.toml")).unwrap();
            let mut builder = voc_text::Segmenter::builder();
            for term in spec.terms().into_iter().chain(RiskTerms::default().terms()) {
                builder = builder.word(term);
            }
            let segmenter = builder.build().unwrap();
            let tokenize = |t: &str| segmenter.cut(t);
            let taxonomy = spec.compile();
            let mut categories = 0;
            for category in taxonomy.specs() {
                categories += 1;
                assert!(
                    !category.owner.is_empty(),
                    "{name}: {} has no owner",
                    category.id
                );
                assert!(
                    !category.must_match.is_empty() && !category.must_not_match.is_empty(),
                    "{name}: {} needs examples both ways",
                    category.id
                );
                for (example, should) in category
                    .must_match
                    .iter()
                    .map(|e| (e, true))
                    .chain(category.must_not_match.iter().map(|e| (e, false)))
                {
                    let got = taxonomy.classify_example(example, &tokenize);
                    if got.contains(&category.id) != should {
                        failures.push(format!(
                            "{name}: {} {} {example:?} (tokens {:?})",
                            category.id,
                            if should { "misses" } else { "wrongly matches" },
                            segmenter.cut(example)
                        ));
                    }
                }
            }
            assert!(categories >= 5, "{name}: {categories} categories");
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    #[test]
    fn starters_are_named_for_the_command_line() {
        for starter in Starter::ALL {
            assert_eq!(Starter::from_name(starter.name()), Some(starter));
        }
        assert_eq!(Starter::from_name("retail"), None);
    }
}
