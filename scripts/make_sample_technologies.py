#!/usr/bin/env python3
"""Generate a realistic, deterministic sample catalogue of technology listings.

    scripts/make_sample_technologies.py                     # the committed samples in tests/data
    scripts/make_sample_technologies.py --count 100000 --out /tmp/big.jsonl    # a benchmark file
    scripts/make_sample_technologies.py --count 500 --out /tmp/x.csv --owner <member id>

The format follows the extension (.jsonl/.ndjson or .csv) and is the one that
`platform-admin technologies import` reads: JSON Lines rows are the API's create body; CSV rows
use title_<lang>/summary_<lang> columns, `;`-separated lists, price_amount + price_currency and
ip_rights as `kind|office|number|status|filed_on|expires_on` entries separated by `;`.
The same --seed and --count always give the same file (no clock, no network).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_JSONL = ROOT / "tests" / "data" / "technologies.jsonl"
DEFAULT_CSV = ROOT / "tests" / "data" / "technologies.csv"
SAMPLE_COUNT, SAMPLE_CSV_COUNT = 300, 60
LANGS = ("en", "zh", "fr", "de", "ja", "ko")

def _pairs(text: str) -> list[tuple[str, str]]:
    """'electric vehicles/电动汽车; grid storage/电网储能' -> [(en, zh), ...]"""
    return [tuple(p.strip().split("/", 1)) for p in text.split(";") if p.strip()]


def S(en: str, zh: str, kind: str, ipc: str, apps: str = "", kw: str = "") -> dict:  # noqa: N802
    """One subject: its names, its kind of title, IPC symbols, fitting applications and keywords.

    kind "mat": a material or substance ("Method for preparing ..."); "dev": a device or product;
    "m": a method or system ("System and method for ...").
    """
    return {"en": en, "zh": zh, "kind": kind, "ipc": [s.strip() for s in ipc.split(";")],
            "apps": _pairs(apps), "keywords": _pairs(kw)}


# field -> its subjects, and general keywords of the field (en, zh).
FIELDS: dict[str, dict] = {
    "biomedicine": {
        "subjects": [
            S("PD-1 monoclonal antibody", "PD-1单克隆抗体", "mat", "C07K 16/28; A61K 39/395; A61P 35/00",
              "non-small-cell lung cancer/非小细胞肺癌; melanoma/黑色素瘤", "immunotherapy/免疫治疗; antibody/抗体"),
            S("CAR-T cells targeting CD19", "靶向CD19的CAR-T细胞", "mat", "A61K 35/17; C12N 5/0783; A61P 35/02",
              "B-cell lymphoma/B细胞淋巴瘤", "cell therapy/细胞治疗; CAR-T/嵌合抗原受体T细胞"),
            S("Lipid nanoparticle for mRNA vaccine delivery", "mRNA疫苗递送用脂质纳米颗粒", "mat", "A61K 9/51; A61K 39/12; C12N 15/88",
              "infectious disease vaccines/传染病疫苗", "mRNA/信使RNA; drug delivery/药物递送; vaccine/疫苗"),
            S("Small-molecule KRAS G12C inhibitor", "小分子KRAS G12C抑制剂", "mat", "C07D 471/04; A61K 31/519; A61P 35/00",
              "colorectal cancer/结直肠癌; lung cancer/肺癌", "targeted therapy/靶向治疗; small molecule/小分子药物"),
            S("Recombinant humanized type III collagen", "重组人源化III型胶原蛋白", "mat", "C07K 14/78; A61L 27/24",
              "wound healing/创面修复; medical aesthetics/医疗美容", "collagen/胶原蛋白; biomaterial/生物材料"),
            S("Circulating tumour DNA methylation detection kit", "循环肿瘤DNA甲基化检测试剂盒", "dev", "C12Q 1/6886; G01N 33/574",
              "early cancer screening/癌症早筛", "liquid biopsy/液体活检; diagnostics/体外诊断"),
            S("Sustained-release microsphere injection", "缓释微球注射剂", "mat", "A61K 9/16; A61K 9/19",
              "schizophrenia treatment/精神分裂症治疗; diabetes/糖尿病", "sustained release/缓释制剂; drug delivery/药物递送"),
            S("Herbal extract for diabetic nephropathy", "治疗糖尿病肾病的中药提取物", "mat", "A61K 36/00; A61P 13/12",
              "", "traditional Chinese medicine/中医药; nephropathy/肾病"),
            S("Biodegradable magnesium alloy vascular stent", "可降解镁合金血管支架", "dev", "A61L 31/02; A61F 2/82; C22C 23/00",
              "coronary intervention/冠脉介入", "medical device/医疗器械; stent/支架; magnesium alloy/镁合金"),
            S("AI-assisted pathology slide analysis", "人工智能辅助病理切片分析", "m", "G06T 7/00; G16H 30/40",
              "hospital pathology departments/医院病理科", "digital pathology/数字病理; deep learning/深度学习"),
        ],
        "keywords": _pairs("biomedicine/生物医药; innovative drug/创新药; clinical translation/临床转化"),
    },
    "new_materials": {
        "subjects": [
            S("Graphene heat-dissipation film", "石墨烯散热膜", "mat", "C01B 32/184; H05K 7/20",
              "smartphones/智能手机; consumer electronics/消费电子", "graphene/石墨烯; thermal management/热管理"),
            S("Semiconductor photoresist formulation", "半导体光刻胶配方", "mat", "G03F 7/004; G03F 7/039",
              "ArF immersion lithography/ArF浸没式光刻; chip manufacturing/芯片制造", "photoresist/光刻胶; lithography/光刻"),
            S("Carbon-fibre reinforced thermoplastic composite", "碳纤维增强热塑性复合材料", "mat", "C08J 5/04; C08L 77/00; B29C 70/00",
              "new-energy vehicle bodies/新能源汽车车身; drones/无人机", "composite/复合材料; lightweight/轻量化; carbon fibre/碳纤维"),
            S("High-entropy alloy powder for additive manufacturing", "增材制造用高熵合金粉末", "mat", "C22C 30/00; B22F 1/05; B33Y 70/00",
              "aero-engine parts/航空发动机零部件", "high-entropy alloy/高熵合金; powder metallurgy/粉末冶金"),
            S("Silicon carbide single-crystal substrate", "碳化硅单晶衬底", "mat", "C30B 29/36; H01L 21/02",
              "power electronics/功率电子; electric vehicle inverters/电动汽车逆变器", "silicon carbide/碳化硅; semiconductor/半导体"),
            S("Silica aerogel thermal insulation blanket", "二氧化硅气凝胶隔热毡", "mat", "C01B 33/158; F16L 59/02",
              "battery packs/动力电池包; pipeline insulation/管道保温", "aerogel/气凝胶; thermal insulation/隔热"),
            S("Bio-based polylactic acid film", "生物基聚乳酸薄膜", "mat", "C08L 67/04; C08J 5/18",
              "food packaging/食品包装", "biodegradable/可降解; bioplastic/生物塑料"),
            S("Quantum-dot colour conversion film", "量子点色转换膜", "mat", "C09K 11/02; G02F 1/1335",
              "Mini-LED displays/Mini-LED显示", "quantum dot/量子点; display/显示"),
            S("Ultra-high-performance concrete", "超高性能混凝土", "mat", "C04B 28/04; C04B 14/48",
              "bridge decks/桥面铺装; prefabricated buildings/装配式建筑", "concrete/混凝土; building materials/建筑材料"),
            S("Rare-earth permanent magnet with reduced dysprosium", "低镝稀土永磁材料", "mat", "H01F 1/057; C22C 38/00",
              "traction motors/驱动电机; wind turbine generators/风力发电机", "permanent magnet/永磁材料; rare earth/稀土"),
        ],
        "keywords": _pairs("new materials/新材料; advanced manufacturing/先进制造"),
    },
    "next_gen_it": {
        "subjects": [
            S("Federated learning framework with privacy protection", "隐私保护联邦学习框架", "m", "G06N 3/098; G06F 21/62",
              "credit risk assessment/信贷风控; medical data sharing/医疗数据共享", "federated learning/联邦学习; privacy computing/隐私计算"),
            S("5G millimetre-wave phased-array antenna", "5G毫米波相控阵天线", "dev", "H01Q 21/06; H01Q 3/26",
              "small-cell base stations/小基站", "5G/5G通信; millimetre wave/毫米波; antenna/天线"),
            S("RISC-V low-power processor core", "RISC-V低功耗处理器内核", "dev", "G06F 9/30; G06F 1/3234",
              "IoT devices/物联网终端; wearables/可穿戴设备", "RISC-V/RISC-V; chip design/芯片设计"),
            S("Large language model inference acceleration", "大语言模型推理加速", "m", "G06N 3/063; G06F 40/30",
              "data centres/数据中心", "large language model/大语言模型; AI accelerator/人工智能加速"),
            S("Blockchain-based data provenance", "基于区块链的数据溯源", "m", "H04L 9/00; G06F 16/27",
              "food supply chains/食品供应链; trade finance/贸易金融", "blockchain/区块链; traceability/溯源"),
            S("Silicon photonics optical transceiver", "硅光光模块", "dev", "G02B 6/12; H04B 10/40",
              "800G data centre interconnects/800G数据中心互联", "silicon photonics/硅光; optical communication/光通信"),
            S("Post-quantum cryptography chip", "后量子密码芯片", "dev", "H04L 9/30; G06F 21/72",
              "financial terminals/金融终端", "post-quantum cryptography/后量子密码; security chip/安全芯片"),
            S("Edge computing video analytics", "边缘计算视频分析", "m", "G06V 20/52; H04N 7/18",
              "smart cities/智慧城市; traffic management/交通管理", "edge computing/边缘计算; computer vision/计算机视觉"),
            S("Quantum key distribution", "量子密钥分发", "m", "H04L 9/08; H04B 10/70",
              "government networks/政务专网; power grids/电网通信", "quantum communication/量子通信; cryptography/密码学"),
        ],
        "keywords": _pairs("artificial intelligence/人工智能; information technology/信息技术"),
    },
    "new_energy": {
        "subjects": [
            S("Solid-state lithium battery electrolyte", "固态锂电池电解质", "mat", "H01M 10/0562; H01M 10/0525",
              "electric vehicles/电动汽车; consumer electronics/消费电子", "solid-state battery/固态电池; electrolyte/电解质; lithium battery/锂电池"),
            S("Sodium-ion battery hard-carbon anode", "钠离子电池硬碳负极", "mat", "H01M 4/587; H01M 10/054",
              "two-wheelers/两轮车; grid-scale storage/电网级储能", "sodium-ion battery/钠离子电池; hard carbon/硬碳"),
            S("Perovskite-silicon tandem solar cell", "钙钛矿晶硅叠层太阳能电池", "dev", "H10K 30/57; H01L 31/0725",
              "utility-scale photovoltaics/地面光伏电站; building-integrated PV/光伏建筑一体化", "perovskite/钙钛矿; photovoltaics/光伏"),
            S("PEM water electrolyser stack", "质子交换膜电解水制氢电堆", "dev", "C25B 1/04; C25B 9/73",
              "green hydrogen production/绿氢制备", "hydrogen/氢能; electrolysis/电解水"),
            S("Battery state-of-health estimation", "电池健康状态估计", "m", "G01R 31/392; H02J 7/00",
              "battery management systems/电池管理系统; second-life batteries/梯次利用电池", "battery management/电池管理; state of health/健康状态"),
            S("Offshore wind turbine blade de-icing", "海上风电叶片除冰", "m", "F03D 80/40; F03D 13/25",
              "cold-climate wind farms/寒区风电场", "wind power/风电; de-icing/除冰"),
            S("Vanadium redox flow battery", "全钒液流电池", "dev", "H01M 8/18; H01M 8/20",
              "grid-scale storage/电网级储能", "flow battery/液流电池; energy storage/储能"),
            S("Hydrogen fuel cell metal bipolar plate", "氢燃料电池金属双极板", "dev", "H01M 8/0206; H01M 8/0228",
              "fuel cell trucks/燃料电池重卡", "fuel cell/燃料电池; bipolar plate/双极板"),
            S("High-nickel cathode material", "高镍三元正极材料", "mat", "H01M 4/525; C01G 53/00",
              "long-range electric vehicles/长续航电动汽车", "cathode/正极材料; lithium battery/锂电池"),
        ],
        "keywords": _pairs("new energy/新能源; energy storage/储能"),
    },
    "intelligent_manufacturing": {
        "subjects": [
            S("Machine-vision surface defect inspection", "机器视觉表面缺陷检测", "m", "G01N 21/88; G06T 7/00",
              "steel strip production/带钢生产; display panels/显示面板", "machine vision/机器视觉; quality inspection/质量检测"),
            S("Digital twin for production line scheduling", "产线排程数字孪生", "m", "G05B 19/418; G06Q 10/06",
              "automotive production/汽车制造", "digital twin/数字孪生; scheduling/生产排程"),
            S("Laser powder bed fusion of titanium alloys", "钛合金激光粉末床熔融成形", "m", "B22F 10/28; B33Y 10/00; C22C 14/00",
              "aerospace parts/航空零部件; orthopaedic implants/骨科植入物", "additive manufacturing/增材制造; titanium alloy/钛合金"),
            S("Ultrasonic-assisted precision machining", "超声辅助精密加工", "m", "B23B 37/00; B24B 1/04",
              "ceramic components/陶瓷零件", "precision machining/精密加工; ultrasonic/超声"),
            S("Friction stir welding of aluminium battery trays", "铝合金电池托盘搅拌摩擦焊", "m", "B23K 20/12; H01M 50/20",
              "", "welding/焊接; battery tray/电池托盘"),
            S("Predictive maintenance of CNC spindles", "数控机床主轴预测性维护", "m", "G05B 23/02; B23Q 17/09",
              "machining workshops/机加工车间", "predictive maintenance/预测性维护; machine tool/机床"),
            S("Industrial internet edge gateway", "工业互联网边缘网关", "dev", "H04L 67/12; G05B 19/418",
              "chemical plants/化工厂; discrete manufacturing/离散制造", "industrial internet/工业互联网; edge computing/边缘计算"),
        ],
        "keywords": _pairs("smart factory/智能工厂; automation/自动化"),
    },
    "green_low_carbon": {
        "subjects": [
            S("Post-combustion carbon dioxide capture solvent", "燃烧后二氧化碳捕集吸收剂", "mat", "B01D 53/14; B01D 53/62",
              "coal-fired power plants/燃煤电厂; cement kilns/水泥窑", "carbon capture/碳捕集; CCUS/碳捕集利用与封存"),
            S("Hydrometallurgical recycling of spent lithium batteries", "废旧锂电池湿法冶金回收", "m", "C22B 7/00; H01M 10/54; C22B 26/12",
              "", "battery recycling/电池回收; circular economy/循环经济"),
            S("Anaerobic digestion of kitchen waste", "餐厨垃圾厌氧消化", "m", "C02F 11/04; C12P 5/02; B09B 3/00",
              "municipal waste treatment/市政垃圾处理", "biogas/沼气; waste treatment/垃圾处理"),
            S("Low-carbon cement clinker", "低碳水泥熟料", "mat", "C04B 7/36; C04B 7/00",
              "", "cement/水泥; emission reduction/减排"),
            S("Membrane bioreactor for wastewater reuse", "膜生物反应器污水回用", "m", "C02F 3/12; B01D 61/14",
              "industrial parks/工业园区", "wastewater/污水处理; membrane/膜技术"),
            S("Green hydrogen direct-reduction ironmaking", "绿氢直接还原炼铁", "m", "C21B 13/00; C21B 13/02",
              "the steel industry/钢铁行业", "green steel/绿色钢铁; hydrogen/氢能"),
            S("Biochar soil remediation agent", "生物炭土壤修复剂", "mat", "B09C 1/08; C09K 17/02",
              "heavy-metal contaminated farmland/重金属污染农田", "soil remediation/土壤修复; biochar/生物炭"),
            S("Catalytic depolymerisation of PET waste", "废旧PET催化解聚", "m", "C08J 11/24; C07C 67/03",
              "textile recycling/纺织品回收", "plastic recycling/塑料回收; depolymerisation/解聚"),
        ],
        "keywords": _pairs("carbon neutrality/碳中和; green technology/绿色技术"),
    },
    "robotics": {
        "subjects": [
            S("Collaborative robot joint module", "协作机器人关节模组", "dev", "B25J 9/10; B25J 17/02",
              "electronics assembly/电子装配", "collaborative robot/协作机器人; joint module/关节模组"),
            S("Quadruped robot gait control", "四足机器人步态控制", "m", "B62D 57/032; G05D 1/02",
              "inspection of power substations/变电站巡检", "legged robot/足式机器人; motion control/运动控制"),
            S("Force-feedback manipulator for surgical robots", "手术机器人力反馈操作臂", "dev", "A61B 34/30; B25J 13/08",
              "minimally invasive surgery/微创手术", "surgical robot/手术机器人; force feedback/力反馈"),
            S("Dexterous robotic hand with tactile sensing", "具触觉感知的灵巧机械手", "dev", "B25J 15/00; B25J 13/08",
              "humanoid robots/人形机器人", "dexterous hand/灵巧手; tactile sensor/触觉传感器"),
            S("Autonomous mobile robot navigation in warehouses", "仓储自主移动机器人导航", "m", "G05D 1/02; B65G 1/137",
              "e-commerce logistics/电商物流", "AMR/自主移动机器人; navigation/导航; SLAM/同步定位与建图"),
            S("Zero-backlash harmonic reducer", "零背隙谐波减速器", "dev", "F16H 49/00; B25J 9/10",
              "industrial robots/工业机器人", "reducer/减速器; harmonic drive/谐波传动"),
            S("Visual servoing for robotic grasping", "机器人抓取视觉伺服", "m", "B25J 9/16; G06T 7/73",
              "parcel sorting/包裹分拣", "grasping/抓取; visual servoing/视觉伺服"),
        ],
        "keywords": _pairs("robotics/机器人; embodied intelligence/具身智能"),
    },
    "high_end_equipment": {
        "subjects": [
            S("Maglev train levitation control", "磁浮列车悬浮控制", "m", "B60L 13/04; B61B 13/08",
              "high-speed maglev lines/高速磁浮线路", "maglev/磁浮; rail transit/轨道交通"),
            S("Thermal error compensation for five-axis machining centres", "五轴加工中心热误差补偿", "m", "B23Q 15/18; G05B 19/404",
              "", "machine tool/机床; precision machining/精密加工"),
            S("Heavy-duty gas turbine blade cooling", "重型燃气轮机叶片冷却", "m", "F01D 5/18; F02C 7/18",
              "combined-cycle power plants/联合循环电站", "gas turbine/燃气轮机; blade cooling/叶片冷却"),
            S("Tunnel boring machine cutterhead", "盾构机刀盘", "dev", "E21D 9/10; E21D 9/08",
              "metro tunnels/地铁隧道", "tunnel boring machine/盾构机; cutterhead/刀盘"),
            S("Ultra-precision aerostatic bearing", "超精密空气静压轴承", "dev", "F16C 32/06; F16C 29/02",
              "lithography stages/光刻机工件台", "aerostatic bearing/空气静压轴承; ultra-precision/超精密"),
            S("Large-bore hydraulic cylinder seal", "大缸径液压缸密封件", "dev", "F15B 15/14; F16J 15/32",
              "hydraulic presses/液压机", "hydraulics/液压; seal/密封"),
            S("Semiconductor wafer dicing saw", "半导体晶圆划片机", "dev", "B28D 5/02; H01L 21/78",
              "chip packaging/芯片封装", "wafer dicing/晶圆划片; semiconductor equipment/半导体设备"),
        ],
        "keywords": _pairs("high-end equipment/高端装备; import substitution/国产替代"),
    },
    "aerospace": {
        "subjects": [
            S("Reusable rocket engine thrust chamber", "可重复使用火箭发动机推力室", "dev", "F02K 9/62; F02K 9/97",
              "commercial launch vehicles/商业运载火箭", "rocket engine/火箭发动机; reusable launch/重复使用"),
            S("Satellite Hall-effect thruster", "卫星霍尔电推力器", "dev", "F03H 1/00; B64G 1/40",
              "LEO satellites/低轨卫星", "electric propulsion/电推进; satellite/卫星"),
            S("Distributed electric propulsion for eVTOL aircraft", "电动垂直起降飞行器分布式电推进", "m", "B64D 27/24; B64C 29/00",
              "urban air mobility/城市空中交通", "eVTOL/电动垂直起降; electric propulsion/电推进"),
            S("Automated layup of composite wing boxes", "复合材料翼盒自动铺放", "m", "B29C 70/38; B64C 3/18",
              "", "automated fibre placement/自动铺丝; composite structure/复合材料结构"),
            S("Inter-satellite laser link for LEO constellations", "低轨星座星间激光链路", "m", "H04B 7/185; B64G 1/10",
              "satellite internet/卫星互联网", "laser communication/激光通信; satellite constellation/卫星星座"),
            S("UAV obstacle avoidance", "无人机避障", "m", "G05D 1/10; B64C 39/02",
              "agricultural drones/农业无人机; power-line inspection/电力巡线", "drone/无人机; obstacle avoidance/避障"),
        ],
        "keywords": _pairs("aerospace/航空航天; commercial space/商业航天"),
    },
    "marine": {
        "subjects": [
            S("Seawater reverse-osmosis desalination membrane", "海水反渗透淡化膜", "mat", "C02F 1/44; B01D 69/12; B01D 71/56",
              "island water supply/海岛供水", "desalination/海水淡化; reverse osmosis/反渗透"),
            S("Mooring system for floating offshore wind platforms", "漂浮式海上风电平台系泊系统", "dev", "B63B 21/50; B63B 35/44",
              "deep-water wind farms/深远海风电场", "offshore wind/海上风电; mooring/系泊"),
            S("Autonomous underwater vehicle navigation", "自主水下航行器导航", "m", "B63G 8/00; G01C 21/16",
              "seabed surveys/海底勘测", "underwater vehicle/水下航行器; inertial navigation/惯性导航"),
            S("Antifouling coating for ship hulls", "船体防污涂料", "mat", "C09D 5/16; B63B 59/04",
              "ocean-going vessels/远洋船舶", "antifouling/防污; marine coating/船舶涂料"),
            S("LNG carrier membrane containment system", "LNG运输船薄膜围护系统", "dev", "B63B 25/16; F17C 3/02",
              "", "LNG carrier/LNG运输船; cryogenic containment/低温围护"),
            S("Deep-sea aquaculture net-cage monitoring", "深远海养殖网箱监测", "m", "A01K 61/60; G01N 33/18",
              "", "aquaculture/海洋养殖; water quality monitoring/水质监测"),
        ],
        "keywords": _pairs("marine economy/海洋经济; ocean engineering/海洋工程"),
    },
    "digital_creative": {
        "subjects": [
            S("Volumetric video capture and rendering", "体积视频采集与渲染", "m", "H04N 13/282; G06T 15/00",
              "film production/影视制作; live concerts/演唱会直播", "volumetric video/体积视频; rendering/渲染"),
            S("Real-time motion capture for virtual humans", "虚拟人实时动作捕捉", "m", "G06T 13/40; G06V 40/20",
              "live streaming/直播", "digital human/数字人; motion capture/动作捕捉"),
            S("AI music composition", "人工智能音乐创作", "m", "G10H 1/00; G06N 3/08",
              "short-video soundtracks/短视频配乐", "generative AI/生成式人工智能; music/音乐"),
            S("Immersive digital museum exhibition", "沉浸式数字博物馆展陈", "m", "G06T 19/00; G09B 25/00",
              "cultural tourism/文化旅游", "virtual reality/虚拟现实; cultural heritage/文化遗产"),
            S("Low-latency cloud gaming streaming", "低时延云游戏串流", "m", "A63F 13/355; H04N 21/2343",
              "", "cloud gaming/云游戏; video coding/视频编码"),
            S("Digital watermarking for copyright protection", "版权保护数字水印", "m", "G06T 1/00; H04N 1/32",
              "online publishing/网络出版", "copyright/版权; digital watermark/数字水印"),
        ],
        "keywords": _pairs("digital creativity/数字创意; metaverse/元宇宙"),
    },
    "other": {
        "subjects": [
            S("Drought-tolerant rice cultivation", "耐旱水稻栽培", "m", "A01G 22/22; A01H 6/46",
              "arid regions/干旱地区", "rice/水稻; drought tolerance/抗旱"),
            S("Smart greenhouse climate control", "智能温室环境控制", "m", "A01G 9/24; G05D 27/02",
              "vegetable growers/蔬菜种植户", "smart farming/智慧农业; greenhouse/温室"),
            S("Fermented tea beverage", "发酵茶饮料", "mat", "A23F 3/10; A23F 3/16",
              "", "tea/茶; fermentation/发酵"),
            S("Precision agriculture soil sensor", "精准农业土壤传感器", "dev", "G01N 33/24; A01B 79/00",
              "large-scale farms/规模化农场", "precision agriculture/精准农业; sensor/传感器"),
            S("Plant-based meat analogue", "植物基人造肉", "mat", "A23J 3/22; A23J 3/14",
              "food service/餐饮", "alternative protein/替代蛋白; food/食品"),
        ],
        "keywords": _pairs("agriculture/农业; food technology/食品科技"),
    },
}

# (en title template, zh title template) by subject kind; {S} capitalised, {s} lower-cased subject,
# {a}/{y} an application in English/Chinese.
TITLES = {
    "mat": [("{S}", "{z}"), ("Method for preparing {s}", "一种{z}的制备方法"),
            ("{S} and preparation method thereof", "{z}及其制备方法"), ("Low-cost {s}", "低成本{z}"),
            ("{S} for {a}", "用于{y}的{z}")],
    "dev": [("{S}", "{z}"), ("{S} and manufacturing method thereof", "{z}及其制造方法"),
            ("High-efficiency {s}", "高效{z}"), ("Compact {s}", "紧凑型{z}"), ("{S} for {a}", "用于{y}的{z}")],
    "m": [("{S}", "{z}"), ("{S} for {a}", "面向{y}的{z}"), ("System and method for {s}", "{z}系统及方法"),
          ("Device and method for {s}", "{z}装置及方法"), ("Improved {s}", "改进的{z}方法")],
}
BENEFITS = [
    ("reduces production cost by {p}%", "生产成本降低{p}%"),
    ("shortens the process cycle by {p}%", "工艺周期缩短{p}%"),
    ("raises yield by {p}%", "良品率提高{p}%"),
    ("cuts energy consumption by {p}%", "能耗降低{p}%"),
    ("extends service life by {p}%", "使用寿命延长{p}%"),
    ("needs no rare or toxic raw materials", "无需稀有或有毒原料"),
    ("fits existing production lines without retooling", "可直接兼容现有产线"),
    ("has been verified in pilot production", "已完成中试验证"),
    ("is protected by a family of granted patents", "已形成授权专利组合保护"),
]
TRL_TEXT = {
    1: ("basic principles observed", "基本原理已被观察"),
    2: ("technology concept formulated", "技术概念已形成"),
    3: ("experimental proof of concept", "完成概念验证实验"),
    4: ("technology validated in the lab", "实验室环境验证"),
    5: ("technology validated in a relevant environment", "相关环境验证"),
    6: ("technology demonstrated in a relevant environment", "相关环境演示"),
    7: ("prototype demonstrated in an operational environment", "运行环境原型演示"),
    8: ("system complete and qualified", "系统完成并通过鉴定"),
    9: ("system proven in an operational environment", "实际运行环境验证"),
}

# Listings written by overseas owners in their own language (with an English title most of the time).
NATIVE = [
    ("fr", "FR", "green_low_carbon", "Procédé de recyclage de composites carbone par solvolyse",
     "Solvolysis recycling of carbon-fibre composites", ["C08J 11/16", "B29B 17/02"],
     "Procédé de solvolyse à basse température qui récupère des fibres de carbone longues conservant plus de 90 % "
     "de leur résistance, à partir de chutes de production et de pièces en fin de vie."),
    ("de", "DE", "new_energy", "Verfahren zur Herstellung sulfidischer Festkörperelektrolyte",
     "Process for producing sulfide solid electrolytes", ["H01M 10/0562", "C01B 25/14"],
     "Lösungsmittelfreie Mahlsynthese eines Argyrodit-Festelektrolyten mit einer Ionenleitfähigkeit von über "
     "5 mS/cm bei Raumtemperatur."),
    ("ja", "JP", "new_energy", "全固体電池用硫化物固体電解質",
     "Sulfide solid electrolyte for all-solid-state batteries", ["H01M 10/0562", "H01B 1/10"],
     "高いイオン伝導度と大気安定性を両立した硫化物固体電解質であり、全固体電池の量産工程に適用できる。"),
    ("ko", "KR", "new_energy", "페로브스카이트 태양전지 모듈 제조 방법",
     "Method for manufacturing perovskite solar modules", ["H10K 30/50", "H10K 71/12"],
     "대면적 슬롯다이 코팅 공정으로 변환효율 20% 이상의 페로브스카이트 모듈을 제조한다."),
    ("fr", "FR", "biomedicine", "Vecteur AAV pour la thérapie génique des dystrophies rétiniennes",
     "AAV vector for gene therapy of retinal dystrophies", ["C12N 15/864", "A61K 48/00"],
     "Capside AAV modifiée assurant une transduction efficace des photorécepteurs après injection intravitréenne, "
     "sans chirurgie sous-rétinienne."),
    ("de", "DE", "intelligent_manufacturing", "Laserstrahlschweißen von Aluminium-Karosseriebauteilen mit Nahtverfolgung",
     "Laser beam welding of aluminium body parts with seam tracking", ["B23K 26/044", "B23K 26/32"],
     "Optische Nahtverfolgung in Echtzeit und oszillierende Strahlführung verhindern Heißrisse beim Schweißen "
     "von Aluminiumlegierungen der 6000er-Reihe."),
    ("ja", "JP", "intelligent_manufacturing", "超短パルスレーザーによるガラス微細加工方法",
     "Ultrashort-pulse laser micromachining of glass", ["B23K 26/0622", "C03B 33/02"],
     "フェムト秒レーザーを用いて、クラックを生じさせずにガラス基板へ微細な貫通穴を高速で形成する。"),
    ("ko", "KR", "new_materials", "OLED 디스플레이용 청색 인광 발광 소재",
     "Blue phosphorescent emitter for OLED displays", ["C09K 11/06", "H10K 85/30"],
     "수명과 색순도를 동시에 개선한 청색 인광 도펀트 화합물로, 저전력 OLED 패널에 적용된다."),
    ("fr", "FR", "new_energy", "Batterie sodium-ion à anode en carbone dur issu de biomasse",
     "Sodium-ion battery with a biomass-derived hard-carbon anode", ["H01M 4/587", "H01M 10/054"],
     "Anode en carbone dur obtenue par pyrolyse de coques de noix, offrant une capacité réversible de 320 mAh/g "
     "et une excellente tenue en cyclage."),
    ("de", "DE", "robotics", "Kollaborativer Leichtbauroboter mit Drehmomentsensorik in jedem Gelenk",
     "Lightweight collaborative robot with joint torque sensing", ["B25J 9/16", "B25J 13/08"],
     "Jedes Gelenk misst das Drehmoment direkt; Kollisionen werden innerhalb von 2 ms erkannt, sodass der "
     "Roboter ohne Schutzzaun neben Menschen arbeiten kann."),
    ("ja", "JP", "biomedicine", "iPS細胞から心筋細胞を分化誘導する方法",
     "Method for differentiating cardiomyocytes from iPS cells", ["C12N 5/077", "A61K 35/34"],
     "低分子化合物の組み合わせにより、iPS細胞から高純度の心筋細胞を短期間で分化誘導する。"),
    ("ko", "KR", "next_gen_it", "차량용 반도체 칩의 방열 구조",
     "Heat dissipation structure for automotive semiconductor chips", ["H01L 23/367", "H01L 23/473"],
     "칩 하부에 마이크로채널 냉각 구조를 일체화하여 고출력 전력반도체의 접합 온도를 낮춘다."),
    ("fr", "FR", "aerospace", "Système de propulsion hybride-électrique pour avion régional",
     "Hybrid-electric propulsion system for regional aircraft", ["B64D 27/24", "B64D 27/02"],
     "Architecture associant turbine et moteurs électriques répartis, réduisant la consommation de carburant "
     "de 20 % sur les vols de moins de 500 km."),
    ("de", "DE", "new_energy", "PEM-Elektrolyseur mit hoher Stromdichte",
     "High current density PEM electrolyser", ["C25B 1/04", "C25B 9/23"],
     "Eine iridiumarme Anodenkatalysatorschicht ermöglicht den Betrieb bei 4 A/cm² mit einem Wirkungsgrad "
     "von über 75 %."),
    ("ja", "JP", "new_materials", "炭素繊維強化熱可塑性樹脂の高速成形方法",
     "High-speed moulding of carbon-fibre reinforced thermoplastics", ["B29C 70/46", "C08J 5/04"],
     "成形サイクルを1分以内に短縮し、自動車構造部材への適用を可能にする。"),
    ("ko", "KR", "marine", "해양 플랜트용 부식 방지 코팅 조성물",
     "Anticorrosion coating composition for offshore plants", ["C09D 5/08", "C09D 163/00"],
     "그래핀이 분산된 에폭시 코팅으로 해수 환경에서의 내식성을 기존 대비 두 배 이상 향상시킨다."),
    ("fr", "FR", "marine", "Revêtement antisalissure sans biocide pour coques de navires",
     "Biocide-free antifouling coating for ship hulls", ["C09D 5/16", "B63B 59/04"],
     "Revêtement silicone à microstructure inspirée de la peau de requin, limitant l'adhésion des organismes "
     "marins sans relargage de cuivre."),
    ("de", "DE", "high_end_equipment", "Keramische Wärmedämmschicht für Turbinenschaufeln",
     "Ceramic thermal barrier coating for turbine blades", ["C23C 4/11", "F01D 5/28"],
     "Mehrlagige Schicht aus Zirkonoxid und Gadoliniumzirkonat für Betriebstemperaturen bis 1300 °C bei "
     "verlängerter Lebensdauer."),
    ("ja", "JP", "robotics", "自律移動ロボットの経路計画システム",
     "Path planning system for autonomous mobile robots", ["G05D 1/02", "G01C 21/20"],
     "人の流れを予測して混雑を避ける経路を生成し、商業施設内での安全な自律走行を実現する。"),
    ("ko", "KR", "biomedicine", "딥러닝 기반 흉부 X선 영상 판독 보조 시스템",
     "Deep-learning chest X-ray reading assistant", ["G16H 50/20", "G06T 7/00"],
     "흉부 X선 영상에서 결절, 기흉 등 10종의 이상 소견을 검출하여 판독 시간을 단축한다."),
    ("fr", "FR", "digital_creative", "Restitution sonore spatialisée pour la réalité virtuelle",
     "Spatial audio rendering for virtual reality", ["H04S 7/00", "G06F 3/01"],
     "Moteur de rendu binaural personnalisé à partir d'une photographie de l'oreille, pour localiser "
     "précisément les sources sonores en réalité virtuelle."),
    ("de", "DE", "intelligent_manufacturing", "Digitaler Zwilling für die vorausschauende Wartung von Werkzeugmaschinen",
     "Digital twin for predictive maintenance of machine tools", ["G05B 23/02", "G05B 19/4065"],
     "Ein physikalisch-datengetriebenes Modell der Spindel sagt Lagerschäden bis zu 300 Betriebsstunden im "
     "Voraus vorher."),
    ("ja", "JP", "marine", "浮体式洋上風力発電設備の動揺抑制装置",
     "Motion suppression device for floating offshore wind turbines", ["B63B 39/03", "F03D 13/25"],
     "浮体内部の可変バラスト水により波浪による動揺を低減し、発電効率と構造寿命を向上させる。"),
    ("ko", "KR", "robotics", "웨어러블 보행 보조 로봇",
     "Wearable gait-assist robot", ["B25J 9/00", "A61H 3/00"],
     "고관절 토크를 보조하여 고령자의 보행 속도와 지구력을 향상시키는 경량 외골격 로봇이다."),
]
NATIVE_EVERY = 13  # one listing in thirteen is written by an overseas owner in its own language
OVERSEAS_EN = ["US", "GB", "SG", "CH", "DE", "IL", "CA"]
DEALS = {
    "exclusive_license": 25, "non_exclusive_license": 20, "assignment": 20, "joint_development": 10,
    "technical_service": 8, "sole_license": 6, "equity_investment": 5, "pledge_financing": 4, "open_license": 2,
}
CURRENCY = {"CN": "CNY", "JP": "JPY", "DE": "EUR", "FR": "EUR"}
PRICE_RANGE = {"CNY": (200_000, 30_000_000), "EUR": (50_000, 5_000_000), "USD": (50_000, 8_000_000),
               "JPY": (5_000_000, 800_000_000)}
# Offices a listing's rights are filed with, by origin: the home office first, then extensions.
HOME_OFFICE = {"CN": "CN", "JP": "JP", "KR": "KR", "DE": "DE", "FR": "FR", "US": "US"}
EXTENSIONS = {"CN": ["WO", "US", "EP", "JP", "KR"], "default": ["WO", "CN", "EP", "US"]}
TERM_YEARS = {"invention_patent": 20, "utility_model": 10, "design": 15}
EP_STATES = ["DE", "FR", "GB", "IT", "NL"]


def _lower(subject: str) -> str:
    """'Solid-state ...' -> 'solid-state ...'; acronyms ('PD-1', 'CAR-T', '5G', 'UAV') keep their case."""
    if len(subject) > 1 and subject[0].isupper() and subject[1].islower():
        return subject[0].lower() + subject[1:]
    return subject


def _article(subject: str) -> str:
    """'a' or 'an' before a product's name ('an aerogel ...', 'an LNG ...', 'a PD-1 ...')."""
    first = subject.split(" ")[0].split("-")[0]
    if first.isupper() and first.isalpha():  # an acronym, read letter by letter
        return "an" if first[0] in "AEFHILMNORSX" else "a"
    return "an" if first[:1].lower() in "aeiou" else "a"


class Generator:
    def __init__(self, seed: int):
        self.rnd = random.Random(seed)
        self.used_titles: set[str] = set()
        self.exhausted = False
        self.native_order = list(range(len(NATIVE)))
        self.rnd.shuffle(self.native_order)

    def pick_weighted(self, weights: dict[str, int], k: int) -> list[str]:
        names, out = list(weights), []
        while len(out) < k:
            choice = self.rnd.choices(names, weights=[weights[n] for n in names])[0]
            if choice not in out:
                out.append(choice)
        return out

    def trl(self) -> int:
        return self.rnd.choices(range(1, 10), weights=[2, 4, 10, 14, 16, 16, 13, 8, 5])[0]

    def number(self, office: str, kind: str, status: str, filed: date) -> str:
        r, y = self.rnd, filed.year
        serial, check = r.randrange(1, 1_000_000), r.randrange(10)
        if office == "CN":
            digit = {"invention_patent": 1, "utility_model": 2, "design": 3}.get(kind, 1)
            prefix = "ZL" if status == "granted" else "CN"
            return f"{prefix}{y}{digit}{r.randrange(1, 10_000_000):07d}.{check}"
        if office == "US":
            return f"US {r.randrange(10_000_000, 12_400_000):,} B2" if status == "granted" else f"US {r.choice((16, 17, 18))}/{r.randrange(100_000, 1_000_000):,}"
        if office == "EP":
            return f"EP {r.randrange(3_000_000, 4_300_000)} B1" if status == "granted" else f"EP {y % 100:02d}{serial:06d}.{check}"
        if office == "WO":
            return f"WO {y}/{serial:06d} A1"
        if office == "JP":
            return f"JP {r.randrange(6_500_000, 7_500_000)} B2" if status == "granted" else f"JP {y}-{serial:06d}"
        if office == "KR":
            return f"KR 10-{r.randrange(2_000_000, 2_700_000)}" if status == "granted" else f"KR 10-{y}-{serial:07d}"
        if office == "DE":
            return f"DE 10{y}{serial:06d} B4" if status == "granted" else f"DE 10{y}{serial:06d}.{check}"
        return f"{office} {r.randrange(2_900_000, 3_200_000)} B1"  # FR and other national offices

    def ip_rights(self, origin: str, field: str) -> list[dict]:
        r = self.rnd
        home = HOME_OFFICE.get(origin, "US")
        extensions = [o for o in EXTENSIONS.get(origin, EXTENSIONS["default"]) if o != home]
        offices = [home] + r.sample(extensions, r.choices((0, 1, 2), weights=(50, 35, 15))[0])
        filed = date(2012, 1, 1) + timedelta(days=r.randrange(0, 12 * 365))
        rights = []
        for i, office in enumerate(offices):
            kind = "invention_patent"
            if office in ("CN", "DE", "JP", "KR") and i == 0 and r.random() < 0.2:
                kind = "utility_model"
            elif field == "digital_creative" and office == "CN" and r.random() < 0.3:
                kind = "design"
            on = filed + timedelta(days=0 if i == 0 else r.randrange(200, 365))  # priority year
            granted = office != "WO" and on.year <= 2022 and r.random() < 0.7
            status = "granted" if granted else "pending"
            end = on.replace(day=28) if (on.month, on.day) == (2, 29) else on
            expires = end.replace(year=end.year + TERM_YEARS[kind]) if granted else None
            rights.append({
                "kind": kind, "office": office, "number": self.number(office, kind, status, on), "status": status,
                "filed_on": on.isoformat(), "expires_on": expires.isoformat() if expires else None,
            })
        return rights

    def price(self, origin: str, trl: int) -> dict | None:
        r = self.rnd
        if r.random() < 0.25:
            return None  # negotiable
        currency = CURRENCY.get(origin, "USD")
        if origin == "CN" and r.random() < 0.1:
            currency = "USD"
        low, high = PRICE_RANGE[currency]
        amount = low + (high - low) * (trl / 9) ** 2 * r.random()
        step = 100_000 if currency == "JPY" else 10_000
        return {"amount": f"{max(step, round(amount / step) * step)}.00", "currency": currency}

    def keywords(self, field: str, subject: dict | None, langs: set[str]) -> list[str]:
        general = FIELDS[field]["keywords"]
        pairs = list(subject["keywords"]) if subject else []
        pairs += self.rnd.sample(general, self.rnd.randint(0 if pairs else 1, len(general)))
        out = []
        for i, (en, zh) in enumerate(pairs):
            use_zh = "en" not in langs or ("zh" in langs and i % 2)
            out.append(zh if use_zh else en)
        return list(dict.fromkeys(out))

    def summary_texts(self, subject_en: str, subject_zh: str, app, trl: int, kind: str = "m") -> tuple[str, str]:
        (b1, z1), (b2, z2) = self.rnd.sample(BENEFITS, 2)
        p1, p2 = self.rnd.randint(12, 45), self.rnd.randint(12, 45)
        b1, z1, b2, z2 = b1.format(p=p1), z1.format(p=p1), b2.format(p=p2), z2.format(p=p2)
        en_app = f" for {app[0]}" if app else ""
        zh_app = f"，可应用于{app[1]}" if app else ""
        if kind == "title":  # a listing's own English title opens the summary
            head = f"{subject_en}."
        else:
            article = _article(subject_en) + " " if kind in ("mat", "dev") else ""
            head = f"The invention relates to {article}{_lower(subject_en)}{en_app}."
        en = (f"{head} Compared with current solutions it {b1} and {b2}. "
              f"Development stage: TRL {trl} ({TRL_TEXT[trl][0]}).")
        zh = f"本发明涉及{subject_zh}{zh_app}。与现有方案相比，{z1}，并且{z2}。目前技术成熟度为{trl}级（{TRL_TEXT[trl][1]}）。"
        return en, zh

    def composed(self, i: int) -> dict:
        r = self.rnd
        overseas = r.random() < 0.18
        origin = r.choice(OVERSEAS_EN) if overseas else "CN"
        if overseas:
            langs = {"en", "zh"} if r.random() < 0.3 else {"en"}
        else:
            langs = r.choices(({"en", "zh"}, {"zh"}, {"en"}), weights=(60, 30, 10))[0]
        field = r.choices(list(FIELDS), weights=[14, 12, 12, 14, 10, 8, 7, 6, 4, 4, 5, 4])[0]
        for attempt in range(1 if self.exhausted else 50):
            subject = r.choice(FIELDS[field]["subjects"])
            en, zh, kind = subject["en"], subject["zh"], subject["kind"]
            templates = [t for t in TITLES[kind] if subject["apps"] or "{a}" not in t[0]]
            t_en, t_zh = r.choice(templates)
            app = r.choice(subject["apps"]) if "{a}" in t_en else None
            title = {
                "en": t_en.format(S=en, s=_lower(en), a=app[0] if app else ""),
                "zh": t_zh.format(z=zh, y=app[1] if app else ""),
            }
            key = title["en"] + "|" + title["zh"]
            if key not in self.used_titles:
                self.used_titles.add(key)
                break
        else:
            self.exhausted = True  # big files must repeat titles sooner or later
        trl = self.trl()
        if app is None and subject["apps"] and r.random() < 0.6:
            app = r.choice(subject["apps"])
        s_en, s_zh = self.summary_texts(en, zh, app, trl, kind)
        ipc = r.sample(subject["ipc"], r.randint(1, len(subject["ipc"])))
        return self.listing(field, {k: v for k, v in title.items() if k in langs},
                            {k: v for k, v in {"en": s_en, "zh": s_zh}.items() if k in langs}, ipc, trl, origin,
                            langs, subject)

    def native(self, n: int) -> dict:
        r = self.rnd
        lang, origin, field, title, title_en, ipc, summary = NATIVE[self.native_order[n % len(NATIVE)]]
        trl = self.trl()
        s_en, _ = self.summary_texts(title_en, "", None, trl, "title")
        with_en = r.random() < 0.7
        titles = {lang: title, **({"en": title_en} if with_en else {})}
        summaries = {lang: summary, **({"en": s_en} if with_en else {})}
        return self.listing(field, titles, summaries, list(ipc), trl, origin, set(titles))

    def listing(self, field, title, summary, ipc, trl, origin, langs, subject=None) -> dict:
        r = self.rnd
        rights = self.ip_rights(origin, field)
        deals = self.pick_weighted(DEALS, r.choices((1, 2, 3), weights=(45, 40, 15))[0])
        if "pledge_financing" in deals and not any(x["status"] == "granted" for x in rights):
            deals.remove("pledge_financing")  # only granted rights can be pledged
            deals = deals or ["exclusive_license"]
        row = {"title": title, "summary": summary, "keywords": self.keywords(field, subject, langs), "field": field,
               "ipc": ipc, "trl": trl, "ip_rights": rights, "deal_types": deals,
               "asking_price": self.price(origin, trl), "origin_country": origin}
        if r.random() < 0.8:
            countries = set()
            for right in rights:
                if right["office"] == "EP":
                    countries |= set(r.sample(EP_STATES, r.randint(2, 4)))
                elif right["office"] != "WO":
                    countries.add(right["office"])
            row["countries_available"] = sorted(countries)
        return row

    def rows(self, count: int):
        natives = 0
        for i in range(count):
            if i % NATIVE_EVERY == NATIVE_EVERY // 2:
                yield self.native(natives)
                natives += 1
            else:
                yield self.composed(i)


# --- output ---------------------------------------------------------------------------------


def ip_rights_cell(rights: list[dict]) -> str:
    """The CSV form: kind|office|number|status|filed_on|expires_on, rights separated by ';'."""
    parts = []
    for x in rights:
        fields = [x["kind"], x["office"], x["number"], x["status"], x.get("filed_on") or "", x.get("expires_on") or ""]
        parts.append("|".join(fields).rstrip("|"))
    return ";".join(parts)


def csv_record(row: dict, langs: list[str]) -> dict:
    price = row.get("asking_price") or {}
    out = {}
    if "owner_id" in row:
        out["owner_id"] = row["owner_id"]
    for part in ("title", "summary"):
        for lang in langs:
            out[f"{part}_{lang}"] = row[part].get(lang, "")
    out.update({
        "field": row["field"], "trl": row["trl"], "ipc": ";".join(row.get("ipc", [])),
        "keywords": ";".join(row.get("keywords", [])), "deal_types": ";".join(row["deal_types"]),
        "price_amount": price.get("amount", ""), "price_currency": price.get("currency", ""),
        "origin_country": row["origin_country"], "countries_available": ";".join(row.get("countries_available", [])),
        "ip_rights": ip_rights_cell(row.get("ip_rights", [])),
    })
    return out


def write(rows, path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        n = 0
        with path.open("w", encoding="utf-8", newline="\n") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
                n += 1
        return n
    if suffix == ".csv":
        rows = list(rows)
        langs = [lang for lang in LANGS if any(lang in r["title"] or lang in r["summary"] for r in rows)]
        records = [csv_record(r, langs) for r in rows]
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(records[0]) if records else [], lineterminator="\n")
            writer.writeheader()
            writer.writerows(records)
        return len(records)
    raise SystemExit(f"{path}: use a .jsonl, .ndjson or .csv file name")


def generate(count: int, seed: int, owner: str | None):
    for row in Generator(seed).rows(count):
        yield ({"owner_id": owner, **row} if owner else row)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, help=f"how many listings (default {SAMPLE_COUNT})")
    parser.add_argument("--out", type=Path, help="write one file here (.jsonl, .ndjson or .csv); "
                        "without it, write the committed samples in tests/data")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    parser.add_argument("--owner", help="put this member ID in every row as owner_id")
    args = parser.parse_args(argv)
    if args.out:
        n = write(generate(args.count or SAMPLE_COUNT, args.seed, args.owner), args.out)
        print(f"wrote {n} listings to {args.out}", file=sys.stderr)
        return 0
    rows = list(generate(args.count or SAMPLE_COUNT, args.seed, args.owner))
    n = write(rows, DEFAULT_JSONL)
    m = write(rows[:SAMPLE_CSV_COUNT], DEFAULT_CSV)
    print(f"wrote {n} listings to {DEFAULT_JSONL.relative_to(ROOT)} and the first {m} to "
          f"{DEFAULT_CSV.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
