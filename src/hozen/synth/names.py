"""Fictional names for the synthetic data set: people in kanji, kana and Latin, and the
parts organisations are named from. Pools are small on purpose: a national register
meets the same common names many times, and search must cope with that."""

from __future__ import annotations

# (kanji, kana, Latin) — common Japanese family names
FAMILY = (
    ("佐藤", "サトウ", "Sato"), ("鈴木", "スズキ", "Suzuki"), ("高橋", "タカハシ", "Takahashi"),
    ("田中", "タナカ", "Tanaka"), ("伊藤", "イトウ", "Ito"), ("渡辺", "ワタナベ", "Watanabe"),
    ("山本", "ヤマモト", "Yamamoto"), ("中村", "ナカムラ", "Nakamura"),
    ("小林", "コバヤシ", "Kobayashi"), ("加藤", "カトウ", "Kato"), ("吉田", "ヨシダ", "Yoshida"),
    ("山田", "ヤマダ", "Yamada"), ("佐々木", "ササキ", "Sasaki"), ("山口", "ヤマグチ", "Yamaguchi"),
    ("松本", "マツモト", "Matsumoto"), ("井上", "イノウエ", "Inoue"), ("木村", "キムラ", "Kimura"),
    ("林", "ハヤシ", "Hayashi"), ("斎藤", "サイトウ", "Saito"), ("清水", "シミズ", "Shimizu"),
    ("山崎", "ヤマザキ", "Yamazaki"), ("森", "モリ", "Mori"), ("池田", "イケダ", "Ikeda"),
    ("橋本", "ハシモト", "Hashimoto"), ("阿部", "アベ", "Abe"), ("石川", "イシカワ", "Ishikawa"),
    ("山下", "ヤマシタ", "Yamashita"), ("中島", "ナカジマ", "Nakajima"),
    ("石井", "イシイ", "Ishii"),
    ("小川", "オガワ", "Ogawa"), ("前田", "マエダ", "Maeda"), ("岡田", "オカダ", "Okada"),
    ("長谷川", "ハセガワ", "Hasegawa"), ("藤田", "フジタ", "Fujita"), ("後藤", "ゴトウ", "Goto"),
    ("近藤", "コンドウ", "Kondo"), ("村上", "ムラカミ", "Murakami"), ("遠藤", "エンドウ", "Endo"),
    ("青木", "アオキ", "Aoki"), ("坂本", "サカモト", "Sakamoto"), ("斉藤", "サイトウ", "Saito"),
    ("福田", "フクダ", "Fukuda"), ("太田", "オオタ", "Ota"), ("西村", "ニシムラ", "Nishimura"),
    ("藤井", "フジイ", "Fujii"), ("金子", "カネコ", "Kaneko"), ("岡本", "オカモト", "Okamoto"),
    ("藤原", "フジワラ", "Fujiwara"), ("中野", "ナカノ", "Nakano"), ("三浦", "ミウラ", "Miura"),
    ("原田", "ハラダ", "Harada"), ("中川", "ナカガワ", "Nakagawa"), ("松田", "マツダ", "Matsuda"),
    ("竹内", "タケウチ", "Takeuchi"), ("小野", "オノ", "Ono"), ("田村", "タムラ", "Tamura"),
    ("髙橋", "タカハシ", "Takahashi"), ("和田", "ワダ", "Wada"), ("石田", "イシダ", "Ishida"),
    ("上野", "ウエノ", "Ueno"),
)

GIVEN = (
    ("健一", "ケンイチ", "Kenichi"), ("誠", "マコト", "Makoto"), ("大輔", "ダイスケ", "Daisuke"),
    ("拓也", "タクヤ", "Takuya"), ("翔太", "ショウタ", "Shota"), ("直樹", "ナオキ", "Naoki"),
    ("和也", "カズヤ", "Kazuya"), ("隆", "タカシ", "Takashi"), ("浩", "ヒロシ", "Hiroshi"),
    ("剛", "ツヨシ", "Tsuyoshi"), ("修", "オサム", "Osamu"), ("茂", "シゲル", "Shigeru"),
    ("亮", "リョウ", "Ryo"), ("聡", "サトシ", "Satoshi"), ("学", "マナブ", "Manabu"),
    ("一郎", "イチロウ", "Ichiro"), ("健太", "ケンタ", "Kenta"), ("大樹", "ダイキ", "Daiki"),
    ("悠斗", "ユウト", "Yuto"), ("陽介", "ヨウスケ", "Yosuke"), ("正樹", "マサキ", "Masaki"),
    ("雅人", "マサト", "Masato"), ("俊介", "シュンスケ", "Shunsuke"), ("光", "ヒカル", "Hikaru"),
    ("智子", "トモコ", "Tomoko"), ("美咲", "ミサキ", "Misaki"), ("由美", "ユミ", "Yumi"),
    ("優子", "ユウコ", "Yuko"), ("さくら", "サクラ", "Sakura"), ("恵子", "ケイコ", "Keiko"),
    ("裕子", "ユウコ", "Yuko"), ("直美", "ナオミ", "Naomi"), ("陽子", "ヨウコ", "Yoko"),
    ("真由美", "マユミ", "Mayumi"), ("彩", "アヤ", "Aya"), ("愛", "アイ", "Ai"),
    ("麻衣", "マイ", "Mai"), ("明美", "アケミ", "Akemi"), ("久美子", "クミコ", "Kumiko"),
    ("香織", "カオリ", "Kaori"), ("千尋", "チヒロ", "Chihiro"), ("奈々", "ナナ", "Nana"),
    ("結衣", "ユイ", "Yui"), ("葵", "アオイ", "Aoi"), ("遥", "ハルカ", "Haruka"),
    ("舞", "マイ", "Mai"), ("綾香", "アヤカ", "Ayaka"), ("理恵", "リエ", "Rie"),
)

# (kana family, kana given, Latin family, Latin given) — partner nationals, by country
FOREIGN = {
    "USA": (("ミラー", "ジェーン", "Miller", "Jane"), ("カーター", "イーサン", "Carter", "Ethan"),
            ("ジョンソン", "エミリー", "Johnson", "Emily"),
            ("デイビス", "マイケル", "Davis", "Michael"),
            ("ウィルソン", "サラ", "Wilson", "Sarah"),
            ("ブラウン", "ジェームズ", "Brown", "James")),
    "GBR": (("スミス", "オリバー", "Smith", "Oliver"), ("テイラー", "アメリア", "Taylor", "Amelia"),
            ("エバンズ", "ハリー", "Evans", "Harry"), ("ヒューズ", "ソフィー", "Hughes", "Sophie")),
    "AUS": (("マーティン", "ジャック", "Martin", "Jack"), ("ケリー", "クロエ", "Kelly", "Chloe")),
    "FRA": (("マルタン", "ルイ", "Martin", "Louis"),
            ("ベルナール", "カミーユ", "Bernard", "Camille")),
    "ITA": (("ロッシ", "マルコ", "Rossi", "Marco"), ("ビアンキ", "ジュリア", "Bianchi", "Giulia")),
    "DEU": (("ミュラー", "ルーカス", "Mueller", "Lukas"),
            ("シュミット", "アンナ", "Schmidt", "Anna")),
    "KOR": (("キム", "ミンス", "Kim", "Minsu"), ("イ", "ジウ", "Lee", "Jiwoo"),
            ("パク", "ソヨン", "Park", "Seoyeon")),
    "IND": (("シャルマ", "アルジュン", "Sharma", "Arjun"), ("パテル", "プリヤ", "Patel", "Priya")),
    "SGP": (("タン", "ウェイ", "Tan", "Wei"), ("リム", "フイ", "Lim", "Hui")),
    "CHN": (("ワン", "レイ", "Wang", "Lei"), ("リー", "ナ", "Li", "Na")),
}

DEPARTMENTS = (
    "防衛事業部", "情報保全室", "研究開発本部", "衛星通信部", "調達部", "量子工学研究室",
    "AI安全研究グループ", "宇宙システム部", "サイバーセキュリティ部", "生産技術部", "品質保証部",
    "経営企画部", "電子戦システム部", "材料研究所", "海洋システム部", "経済安全保障政策課",
)
TITLES = (
    "主任技師", "室長", "課長", "部長", "係長", "研究員", "准教授", "教授", "課長補佐",
    "主任研究員", "技師", "調査官", "担当", "主査", "Engineer", "Liaison Officer",
)

# Organisation names: (kanji, Latin) parts
PLACES = (
    ("富士見", "Fujimi"), ("東邦", "Toho"), ("北辰", "Hokushin"), ("大和", "Yamato"),
    ("青葉", "Aoba"), ("瑞穂", "Mizuho"), ("扶桑", "Fuso"), ("白鳳", "Hakuho"),
    ("朝日", "Asahi"), ("日進", "Nisshin"), ("昭栄", "Shoei"), ("三ツ星", "Mitsuboshi"),
    ("常盤", "Tokiwa"), ("飛鳥", "Asuka"), ("武蔵", "Musashi"), ("相模", "Sagami"),
    ("浪速", "Naniwa"), ("筑紫", "Tsukushi"), ("陸奥", "Mutsu"), ("信濃", "Shinano"),
)
SECTORS = (
    ("重工業", "Heavy Industries"), ("電子", "Electronics"), ("精機", "Precision"),
    ("通信", "Communications"), ("化学", "Chemical"), ("システムズ", "Systems"),
    ("航空宇宙", "Aerospace"), ("造船", "Shipbuilding"), ("半導体", "Semiconductor"),
    ("素材", "Materials"), ("光学", "Optics"), ("情報技術", "Information Technology"),
)
MINISTRIES = (
    ("内閣府 経済安全保障推進室", "Cabinet Office, Economic Security Office"),
    ("経済産業省", "Ministry of Economy, Trade and Industry"),
    ("防衛装備庁", "Acquisition, Technology & Logistics Agency"),
    ("外務省", "Ministry of Foreign Affairs"),
    ("総務省", "Ministry of Internal Affairs and Communications"),
    ("国土交通省", "Ministry of Land, Infrastructure, Transport and Tourism"),
    ("文部科学省", "Ministry of Education, Culture, Sports, Science and Technology"),
    ("警察庁", "National Police Agency"),
    ("公安調査庁", "Public Security Intelligence Agency"),
    ("内閣情報調査室", "Cabinet Intelligence and Research Office"),
)
# Partner countries' bodies and companies: (country, kana, Latin)
FOREIGN_GOVERNMENTS = (
    ("USA", "米国国防総省", "U.S. Department of Defense"),
    ("GBR", "英国国防省", "UK Ministry of Defence"),
    ("AUS", "豪州国防省", "Australian Department of Defence"),
    ("FRA", "フランス軍事省", "French Ministry of the Armed Forces"),
    ("ITA", "イタリア国防省", "Italian Ministry of Defence"),
    ("IND", "インド国防省", "Indian Ministry of Defence"),
)
FOREIGN_COMPANIES = (
    ("USA", "アトランティック・エアロスペース", "Atlantic Aerospace Inc."),
    ("USA", "パシフィック・ダイナミクス", "Pacific Dynamics Corp."),
    ("GBR", "ブリタニア・システムズ", "Britannia Systems plc"),
    ("AUS", "サザンクロス・マリン", "Southern Cross Marine Pty Ltd"),
    ("SGP", "メリディアン・キャピタル", "Meridian Capital Pte. Ltd."),
    ("FRA", "ソレイユ・オプティーク", "Soleil Optique SA"),
    ("DEU", "ラインタール・テヒニク", "Rheintal Technik GmbH"),
    ("KOR", "ハンガン・セミコン", "Hangang Semicon Co."),
    ("CHN", "ロンファ・キャピタル", "Longhua Capital Ltd."),
)

PROGRAMMES = (
    ("GCAP", "次期戦闘機共同開発", "Global Combat Air Programme"),
    ("SATCOM", "次世代衛星通信", "Next-generation satellite communications"),
    ("QKD", "量子鍵配送網", "Quantum key distribution network"),
    ("HGV", "極超音速技術", "Hypersonic technology"),
    ("SEMI", "先端半導体サプライチェーン", "Advanced semiconductor supply chain"),
    ("UUV", "無人潜水機", "Unmanned underwater vehicles"),
    ("AIDEF", "防衛AI", "Defence artificial intelligence"),
    ("SPACEDA", "宇宙状況監視", "Space domain awareness"),
)

DESIGNATION_SUBJECTS = (
    "暗号鍵管理方式", "機体構造データ", "推進系設計", "衛星通信プロトコル", "半導体製造工程",
    "レーダー信号処理", "量子通信装置", "電力網制御系の脆弱性", "重要鉱物の調達網",
    "海底ケーブル防護措置", "材料組成", "航法アルゴリズム",
)
ITEM_KINDS = (("設計書", "document"), ("試験データ", "dataset"), ("技術資料", "technical_data"),
              ("評価報告書", "document"), ("計測記録", "dataset"), ("仕様書", "technical_data"))
