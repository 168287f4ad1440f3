"""The demo catalogue: fictional institutions, their listings, mandates, one deal and one referral.

Every body here is what a member would send to the API (POST /v1/technologies, /v1/investor-profiles,
/v1/referrals...) and is loaded through the same schemas and services (demo/services.py). Keys such
as "huaxia" name members and listings inside this file only; the database gets fresh IDs.
The names are invented: no real institution is meant.
"""

from __future__ import annotations

# key -> the member as `platform-admin members add` takes it; every one is approved (active).
MEMBERS = {
    "huaxia": {"name": "Huaxia University Technology Transfer Center", "kind": "university", "country": "CN",
               "email": "tto@huaxia-university.example.cn", "website": "https://tto.huaxia-university.example.cn"},
    "photonik": {"name": "Institut für Angewandte Photonik", "kind": "research_institute", "country": "DE",
                 "email": "transfer@photonik-institut.example.de"},
    "sakura": {"name": "Sakura Precision Industries K.K.", "kind": "enterprise", "country": "JP",
               "email": "licensing@sakura-precision.example.jp"},
    "hanbit": {"name": "Hanbit Advanced Materials Co., Ltd.", "kind": "enterprise", "country": "KR",
               "email": "ip@hanbit-materials.example.kr"},
    "rhone": {"name": "Rhône Valley Technology Transfer", "kind": "tech_transfer_agency", "country": "FR",
              "email": "contact@rhone-transfer.example.fr"},
    "jiangnan": {"name": "Jiangnan Commercial Bank IP Finance", "kind": "financial_institution", "country": "CN",
                 "email": "ipfinance@jiangnan-bank.example.cn"},
    "yangtze": {"name": "Yangtze Hard-Tech Fund", "kind": "investor", "country": "CN",
                "email": "deals@yangtze-fund.example.cn"},
    "nordic": {"name": "Nordic Cleantech Partners AB", "kind": "investor", "country": "SE",
               "email": "dealflow@nordic-cleantech.example.se"},
    "thames": {"name": "Thames IP Valuation LLP", "kind": "service_agency", "country": "GB",
               "email": "valuation@thames-ip.example.co.uk"},
    "greaterbay": {"name": "Greater Bay IP Arbitration and Mediation Centre", "kind": "adr_institution",
                   "country": "CN", "email": "cases@gbip-adr.example.cn"},
}


def _right(kind: str, office: str, number: str, status: str, filed: str, expires: str | None = None) -> dict:
    return {"kind": kind, "office": office, "number": number, "status": status, "filed_on": filed,
            "expires_on": expires}


# (key, owner key, status the listing ends in, the create body)
TECHNOLOGIES = [
    ("solid_state", "huaxia", "published", {
        "title": {"zh": "固态锂电池用硫化物电解质及其制备方法",
                  "en": "Sulfide electrolyte for solid-state lithium batteries and its preparation"},
        "summary": {"zh": "一种高离子电导率的硫化物固态电解质，室温电导率达12 mS/cm，可与高镍正极匹配，"
                          "已完成百公斤级中试。",
                    "en": "A sulfide solid electrolyte with an ionic conductivity of 12 mS/cm at room temperature, "
                          "compatible with high-nickel cathodes; piloted at 100 kg scale."},
        "keywords": ["固态电池", "solid-state battery", "电解质", "electrolyte"],
        "field": "new_energy", "ipc": ["H01M 10/0562", "H01M 10/052"], "trl": 5,
        "ip_rights": [_right("invention_patent", "CN", "ZL202110345678.9", "granted", "2021-03-29", "2041-03-29"),
                      _right("invention_patent", "WO", "WO2022/156789", "pending", "2022-03-20")],
        "deal_types": ["exclusive_license", "assignment", "joint_development", "pledge_financing"],
        "asking_price": {"amount": "8000000.00", "currency": "CNY"},
        "origin_country": "CN", "countries_available": ["CN", "DE", "JP", "KR"],
    }),
    ("euv_resist", "huaxia", "published", {
        "title": {"zh": "极紫外光刻胶用金属氧化物纳米簇", "en": "Metal-oxide nanoclusters for EUV photoresists"},
        "summary": {"zh": "面向极紫外光刻的锡氧纳米簇光刻胶，分辨率达到13纳米线宽，灵敏度优于现有化学放大胶。",
                    "en": "Tin-oxo nanocluster photoresist for extreme-ultraviolet lithography, resolving 13 nm "
                          "lines with a better dose than chemically amplified resists."},
        "keywords": ["光刻胶", "lithography", "半导体", "semiconductor"],
        "field": "next_gen_it", "ipc": ["G03F 7/004", "G03F 7/20"], "trl": 4,
        "ip_rights": [_right("invention_patent", "CN", "CN202210987654.3", "pending", "2022-08-15")],
        "deal_types": ["joint_development", "exclusive_license"], "asking_price": None, "origin_country": "CN",
    }),
    ("lung_ct", "huaxia", "published", {
        "title": {"zh": "基于深度学习的肺结节CT影像辅助诊断系统"},
        "summary": {"zh": "利用三维卷积神经网络自动检测与分级肺结节，在三家三甲医院验证中敏感度为96%，"
                          "已取得软件著作权。"},
        "keywords": ["人工智能", "医学影像", "肺结节"],
        "field": "next_gen_it", "ipc": ["G06T 7/00", "G16H 30/40"], "trl": 7,
        "ip_rights": [_right("invention_patent", "CN", "CN202311234567.8", "pending", "2023-04-10")],
        "deal_types": ["non_exclusive_license", "technical_service"],
        "asking_price": {"amount": "1200000.00", "currency": "CNY"}, "origin_country": "CN",
    }),
    ("graphene_membrane", "huaxia", "submitted", {
        "title": {"zh": "海水淡化用氧化石墨烯复合膜", "en": "Graphene-oxide composite membrane for desalination"},
        "summary": {"zh": "层间距可控的氧化石墨烯复合膜，脱盐率99.5%，通量为商用反渗透膜的两倍。",
                    "en": "A graphene-oxide composite membrane with tuned interlayer spacing: 99.5% salt rejection "
                          "at twice the flux of commercial reverse-osmosis membranes."},
        "keywords": ["海水淡化", "desalination", "石墨烯"],
        "field": "marine", "ipc": ["B01D 69/12", "C02F 1/44"], "trl": 4,
        "ip_rights": [_right("invention_patent", "CN", "CN202310123456.1", "pending", "2023-02-01")],
        "deal_types": ["exclusive_license", "joint_development"],
        "asking_price": {"amount": "3000000.00", "currency": "CNY"}, "origin_country": "CN",
    }),
    ("cfrp_recycling", "photonik", "published", {
        "title": {"de": "Laserbasiertes Recycling von Carbonfaser-Verbundwerkstoffen",
                  "en": "Laser-based recycling of carbon-fibre composites"},
        "summary": {"de": "Ein gepulster Laser trennt die Harzmatrix von den Carbonfasern, die mit 95 % ihrer "
                          "ursprünglichen Zugfestigkeit wiederverwendet werden können. Energiebedarf ein Drittel "
                          "der Pyrolyse.",
                    "en": "A pulsed laser separates the resin matrix from the carbon fibres, which keep 95% of "
                          "their tensile strength; a third of the energy pyrolysis needs."},
        "keywords": ["Recycling", "Kreislaufwirtschaft", "carbon fibre", "Verbundwerkstoff"],
        "field": "green_low_carbon", "ipc": ["B29B 17/02", "B23K 26/36"], "trl": 6,
        "ip_rights": [_right("invention_patent", "EP", "EP3912345", "granted", "2020-06-02", "2040-06-02"),
                      _right("invention_patent", "DE", "DE102019123456", "granted", "2019-09-11", "2039-09-11")],
        "deal_types": ["exclusive_license", "non_exclusive_license"],
        "asking_price": {"amount": "450000.00", "currency": "EUR"},
        "origin_country": "DE", "countries_available": ["CN", "DE", "FR", "SE"],
    }),
    ("laser_welding", "photonik", "published", {
        "title": {"de": "Hochpräzise Faserlaser-Schweißoptik für Batteriezellen"},
        "summary": {"de": "Strahlformende Optik für das Schweißen von Zellverbindern mit Nahtbreiten unter 100 µm, "
                          "spritzerfrei bei Kupfer und Aluminium; in zwei Pilotlinien im Einsatz."},
        "keywords": ["Laserschweißen", "Batteriezelle", "Optik"],
        "field": "intelligent_manufacturing", "ipc": ["B23K 26/06", "B23K 26/21"], "trl": 7,
        "ip_rights": [_right("invention_patent", "DE", "DE102021110022", "granted", "2021-04-20", "2041-04-20")],
        "deal_types": ["sole_license", "technical_service"],
        "asking_price": {"amount": "300000.00", "currency": "EUR"}, "origin_country": "DE",
    }),
    ("reducer", "sakura", "published", {
        "title": {"ja": "協働ロボット用の小型高トルク波動歯車減速機",
                  "en": "Compact high-torque strain-wave reducer for collaborative robots"},
        "summary": {"ja": "薄型フレクスプラインにより同サイズ比でトルク容量を40%向上。バックラッシュは1分以下、"
                          "量産ラインで実証済み。",
                    "en": "A thin flexspline raises torque capacity by 40% at the same size; backlash under one "
                          "arc-minute, proven on a production line."},
        "keywords": ["減速機", "ロボット", "reducer", "cobot"],
        "field": "robotics", "ipc": ["F16H 49/00", "B25J 9/10"], "trl": 8,
        "ip_rights": [_right("invention_patent", "JP", "JP2021-123456", "granted", "2021-02-15", "2041-02-15"),
                      _right("invention_patent", "CN", "CN202180012345.6", "pending", "2021-08-01")],
        "deal_types": ["non_exclusive_license", "assignment"],
        "asking_price": {"amount": "60000000.00", "currency": "JPY"},
        "origin_country": "JP", "countries_available": ["CN", "JP", "KR"],
    }),
    ("plastic_enzyme", "sakura", "published", {
        "title": {"ja": "海洋プラスチックを分解する耐熱性PET分解酵素"},
        "summary": {"ja": "70℃で安定なPET分解酵素の改変体。海洋回収プラスチックを48時間で90%分解する。"},
        "keywords": ["酵素", "海洋プラスチック", "生分解"],
        "field": "marine", "ipc": ["C12N 9/18", "C08J 11/10"], "trl": 3,
        "ip_rights": [_right("invention_patent", "JP", "JP2023-045678", "pending", "2023-03-30")],
        "deal_types": ["joint_development"], "asking_price": None, "origin_country": "JP",
    }),
    ("polyimide", "hanbit", "published", {
        "title": {"ko": "폴더블 디스플레이용 고내열 투명 폴리이미드 필름",
                  "en": "High-temperature transparent polyimide film for foldable displays"},
        "summary": {"ko": "유리전이온도 350℃, 투과율 90% 이상의 투명 폴리이미드 필름으로 20만 회 접힘 시험을 통과했다.",
                    "en": "Transparent polyimide film with a glass transition at 350 °C and over 90% "
                          "transmittance; passed 200,000 folding cycles."},
        "keywords": ["폴리이미드", "polyimide", "flexible display"],
        "field": "new_materials", "ipc": ["C08G 73/10", "C08J 5/18"], "trl": 7,
        "ip_rights": [_right("invention_patent", "KR", "KR10-2022-0012345", "granted", "2022-01-27", "2042-01-27")],
        "deal_types": ["exclusive_license", "equity_investment"],
        "asking_price": {"amount": "2500000000.00", "currency": "KRW"}, "origin_country": "KR",
    }),
    ("vaccine_culture", "rhone", "published", {
        "title": {"fr": "Procédé de culture cellulaire sans sérum pour la production de vaccins",
                  "en": "Serum-free cell culture process for vaccine production"},
        "summary": {"fr": "Milieu chimiquement défini qui double le rendement viral des cellules Vero sans sérum "
                          "animal ; validé à l'échelle de 200 litres.",
                    "en": "A chemically defined medium that doubles the viral yield of Vero cells without animal "
                          "serum; validated at 200-litre scale."},
        "keywords": ["vaccin", "culture cellulaire", "bioprocess"],
        "field": "biomedicine", "ipc": ["C12N 5/00", "A61K 39/00"], "trl": 5,
        "ip_rights": [_right("invention_patent", "FR", "FR3101234", "granted", "2019-10-01", "2039-10-01"),
                      _right("invention_patent", "EP", "EP3998877", "pending", "2020-09-28")],
        "deal_types": ["exclusive_license", "sole_license", "assignment"],
        "asking_price": {"amount": "1500000.00", "currency": "EUR"}, "origin_country": "FR",
    }),
    ("tandem_pv", "rhone", "published", {
        "title": {"en": "Encapsulation for perovskite-silicon tandem solar cells"},
        "summary": {"en": "A two-layer barrier film that keeps perovskite-silicon tandem modules above 90% of their "
                          "efficiency after 1,000 hours of damp heat (85 °C, 85% RH)."},
        "keywords": ["perovskite", "photovoltaics", "encapsulation"],
        "field": "new_energy", "ipc": ["H01L 31/048"], "trl": 5,
        "ip_rights": [_right("invention_patent", "US", "US11234567", "granted", "2020-11-05", "2040-11-05")],
        "deal_types": ["exclusive_license", "non_exclusive_license"],
        "asking_price": {"amount": "900000.00", "currency": "USD"}, "origin_country": "FR",
    }),
]

# (key, owner key, the create body)
PROFILES = [
    ("yangtze_hardtech", "yangtze", {
        "name": "Hard-tech growth mandate",
        "description": {"zh": "投资新能源、新材料、半导体与机器人领域的中试阶段技术，可牵头组建产业化公司。",
                        "en": "Pilot-stage technologies in new energy, new materials, semiconductors and robotics; "
                              "we can lead the company that takes them to market."},
        "fields": ["new_energy", "new_materials", "next_gen_it", "robotics"], "trl_min": 4, "trl_max": 7,
        "ticket_min": {"amount": "2000000.00", "currency": "CNY"},
        "ticket_max": {"amount": "20000000.00", "currency": "CNY"},
        "countries": ["CN", "DE", "JP", "KR"],
        "deal_types": ["equity_investment", "exclusive_license", "assignment", "joint_development"],
        "keywords": ["固态电池", "光刻", "semiconductor", "robotics"],
    }),
    ("jiangnan_pledge", "jiangnan", {
        "name": "Patent pledge financing",
        "description": {"zh": "以已授权发明专利质押提供三年期贷款，质押登记后放款。"},
        "fields": ["new_energy", "new_materials", "intelligent_manufacturing", "robotics", "biomedicine"],
        "trl_min": 5, "trl_max": 9,
        "ticket_min": {"amount": "1000000.00", "currency": "CNY"},
        "ticket_max": {"amount": "50000000.00", "currency": "CNY"},
        "countries": ["CN"], "deal_types": ["pledge_financing"], "keywords": ["专利质押", "授权专利"],
    }),
    ("nordic_circular", "nordic", {
        "name": "Circular economy and clean energy",
        "description": {"en": "Licences and minority stakes in recycling, batteries and ocean clean-up, for "
                              "deployment in the Nordics."},
        "fields": ["green_low_carbon", "new_energy", "marine"], "trl_min": 5, "trl_max": 8,
        "ticket_min": {"amount": "200000.00", "currency": "EUR"},
        "ticket_max": {"amount": "3000000.00", "currency": "EUR"},
        "countries": [], "deal_types": ["exclusive_license", "non_exclusive_license", "equity_investment"],
        "keywords": ["recycling", "battery", "circular economy"],
    }),
]

# FX rates for prices in another currency than a ticket (1 base = rate quote), dated the day of loading.
FX_RATES = [
    ("EUR", "CNY", "7.8000"), ("USD", "CNY", "7.1000"), ("JPY", "CNY", "0.0476"), ("KRW", "CNY", "0.0051"),
    ("EUR", "USD", "1.1000"), ("EUR", "JPY", "164.0000"), ("EUR", "KRW", "1520.0000"),
]

# Introductions: (technology key, profile key, who proposes, what happens, message).
# "accepted" stays open; "deal_closed" is closed with DEAL below.
MATCHES = [
    ("cfrp_recycling", "nordic_circular", "investor", "accepted",
     "We would like to license the process for a plant in Sweden."),
    ("reducer", "yangtze_hardtech", "investor", "deal_closed",
     "A non-exclusive licence for our portfolio company's cobot line."),
]
DEAL = {"outcome": "deal_closed", "deal_type": "non_exclusive_license",
        "amount": {"amount": "15000000.00", "currency": "JPY"}, "days_ago": 20}

# A mediation referral by Sakura about a licence, against an outside party; the centre acknowledges it.
REFERRAL = ("sakura", "greaterbay", "reducer", {
    "procedure": "mediation", "basis": "agreement", "dispute_type": "licence", "ip_kinds": ["invention_patent"],
    "respondent": {"name": "Pearl River Automation Co., Ltd.", "country": "CN"},
    "amount_in_dispute": {"amount": "5000000.00", "currency": "CNY"},
    "language": "en", "seat": "Shenzhen", "governing_law": "Law of the People's Republic of China",
    "summary": "The licensee has paid no royalties on reducers sold since the second quarter, and the "
               "licence provides for mediation first.",
    "requested_relief": "Payment of the royalties due and an audit of sales.",
})
REFERRAL_EVENT = {"type": "acknowledged", "case_number": "GBIP-M-2026-0042",
                  "note": "Received; a mediator will be proposed within 10 days."}
