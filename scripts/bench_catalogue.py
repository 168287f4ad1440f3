"""A synthetic catalogue whose words are distributed like a real one's, and queries drawn from it.

Real catalogues have a few very common words ("method", "system", 电池) and a long tail: the
terms of a title follow a Zipf-like law. A catalogue of fifty distinct words, where every query
matches thousands of listings, measures nothing but the ranking of huge result sets, and six
queries repeated measure the result cache. Here every language has thousands of terms (English
and French words and compounds, Chinese two-character morphemes and their four-character
compounds), drawn with probability ~ 1 / (rank + 2.7) ** 1.07, and the queries come from the
same law: one or two terms, a third of them with a filter, thousands of them distinct.

Everything is derived from a seeded random generator: the same arguments give the same
catalogue and the same queries on every machine.
"""

from __future__ import annotations

import itertools
import random
import urllib.parse
from bisect import bisect
from itertools import accumulate

EN_PREFIXES = ["nano", "micro", "bio", "electro", "thermo", "photo", "hydro", "cryo", "opto", "magneto", "poly",
               "ultra", "meta", "neuro", "geo", "aero", "piezo", "plasma", "chemo", "immuno", "radio", "seismo",
               "tribo", "cyto", "litho"]
EN_ROOTS = [
    "battery", "cell", "solar", "recycling", "graphene", "sensor", "catalyst", "membrane", "polymer", "coating",
    "laser", "antenna", "vaccine", "antibody", "implant", "robot", "actuator", "turbine", "engine", "valve",
    "filter", "fibre", "composite", "ceramic", "alloy", "magnet", "semiconductor", "transistor", "diode", "wafer",
    "photoresist", "lithography", "etching", "deposition", "printing", "welding", "casting", "machining", "grinding",
    "drilling", "imaging", "scanner", "microscope", "spectrometer", "chromatography", "assay", "biomarker", "enzyme",
    "protein", "peptide", "gene", "genome", "editing", "delivery", "capsule", "hydrogel", "scaffold", "stent",
    "catheter", "electrode", "electrolyte", "cathode", "anode", "separator", "inverter", "converter", "transformer",
    "grid", "storage", "hydrogen", "ammonia", "methanol", "biogas", "biomass", "cement", "concrete", "asphalt",
    "insulation", "aerogel", "foam", "textile", "adhesive", "lubricant", "pigment", "dye", "detergent", "fertiliser",
    "pesticide", "seed", "irrigation", "greenhouse", "aquaculture", "vessel", "hull", "propeller", "drone", "satellite",
    "radar", "lidar", "camera", "display", "touchscreen", "chip", "processor", "memory", "algorithm", "network",
    "protocol", "encryption", "blockchain", "software", "platform", "interface", "controller", "gearbox", "bearing",
    "spring", "pump", "compressor", "heat", "exchanger", "boiler", "furnace", "reactor", "capture", "sorbent",
    "desalination", "purification", "sludge", "wastewater", "odour", "noise", "vibration", "damping", "crystal",
    "quantum", "photonic", "optical", "acoustic", "thermal", "magnetic", "wireless", "flexible", "wearable",
]
EN_COMMON = ["method", "system", "device", "process", "apparatus", "technology", "material", "based", "high",
             "efficiency", "low", "cost", "preparation", "application", "control", "new"]

ZH_MORPHEMES = [
    "电池", "材料", "传感", "芯片", "基因", "编辑", "光刻", "激光", "涂层", "疫苗", "抗体", "机器", "控制", "系统", "装置",
    "方法", "制备", "检测", "储能", "氢能", "太阳", "风电", "电网", "电机", "电极", "正极", "负极", "隔膜", "催化", "吸附",
    "过滤", "纤维", "陶瓷", "合金", "磁体", "晶圆", "封装", "显示", "成像", "算法", "网络", "加密", "软件", "平台", "接口",
    "齿轮", "轴承", "水泵", "压缩", "换热", "锅炉", "反应", "捕集", "淡化", "净化", "污泥", "废水", "噪声", "振动", "阻尼",
    "晶体", "量子", "光子", "声学", "热管", "无线", "柔性", "穿戴", "卫星", "雷达", "无人", "船舶", "海洋", "农业", "种子",
    "灌溉", "温室", "水产", "水泥", "混凝", "沥青", "保温", "气凝", "泡沫", "纺织", "胶粘", "润滑", "颜料", "染料", "洗涤",
    "化肥", "农药", "生物", "医疗", "植入", "支架", "导管", "蛋白", "多肽", "酶制", "诊断", "药物", "递送", "胶囊", "凝胶",
]
ZH_COMMON = ["技术", "一种", "方法", "系统", "装置", "制备", "应用"]

FR_PREFIXES = ["nano", "micro", "bio", "électro", "thermo", "photo", "hydro", "cryo", "opto", "magnéto", "poly", "ultra",
               "neuro", "géo", "aéro", "piézo"]
FR_ROOTS = [
    "batterie", "cellule", "capteur", "catalyseur", "membrane", "polymère", "revêtement", "laser", "antenne", "vaccin",
    "anticorps", "implant", "robot", "actionneur", "turbine", "moteur", "vanne", "filtre", "fibre", "composite",
    "céramique", "alliage", "aimant", "semiconducteur", "transistor", "plaquette", "lithographie", "gravure", "dépôt",
    "impression", "soudage", "usinage", "imagerie", "microscope", "spectromètre", "enzyme", "protéine", "peptide",
    "gène", "génome", "édition", "capsule", "hydrogel", "électrode", "électrolyte", "cathode", "anode", "onduleur",
    "convertisseur", "réseau", "stockage", "hydrogène", "ammoniac", "méthanol", "biogaz", "biomasse", "ciment", "béton",
    "isolation", "aérogel", "mousse", "textile", "adhésif", "lubrifiant", "pigment", "colorant", "engrais", "semence",
    "irrigation", "serre", "aquaculture", "navire", "coque", "hélice", "drone", "satellite", "radar", "caméra", "écran",
    "puce", "processeur", "mémoire", "algorithme", "protocole", "chiffrement", "logiciel", "plateforme", "interface",
    "roulement", "pompe", "compresseur", "échangeur", "chaudière", "réacteur", "captage", "dessalement", "épuration",
    "boue", "vibration", "cristal", "quantique", "photonique", "optique", "acoustique", "thermique", "magnétique",
]
FR_COMMON = ["procédé", "système", "dispositif", "méthode", "matériau", "technologie", "haute", "efficacité", "faible",
             "coût", "nouveau", "application"]


def _zipf(words: list[str], compounds: list[str], rng: random.Random) -> tuple[list[str], list[float]]:
    """The words, then the compounds, each in a random order of popularity (plain words are the
    common ones), with cumulative Zipf-Mandelbrot weights."""
    head, tail = list(words), list(compounds)
    rng.shuffle(head)
    rng.shuffle(tail)
    ranked = head + tail
    return ranked, list(accumulate(1.0 / (rank + 2.7) ** 1.07 for rank in range(len(ranked))))


class Vocabulary:
    def __init__(self, seed: int = 20261202):
        rng = random.Random(seed)
        en = [p + r for p, r in itertools.product(EN_PREFIXES, EN_ROOTS) if not r.startswith(p)]
        zh = [a + b for a, b in itertools.product(ZH_MORPHEMES, ZH_MORPHEMES) if a != b]
        fr = [p + r for p, r in itertools.product(FR_PREFIXES, FR_ROOTS) if not r.startswith(p)]
        self.terms = {"en": _zipf(EN_ROOTS, en, rng), "zh": _zipf(ZH_MORPHEMES, zh, rng), "fr": _zipf(FR_ROOTS, fr, rng)}
        self.common = {"en": EN_COMMON, "zh": ZH_COMMON, "fr": FR_COMMON}

    def sizes(self) -> dict[str, int]:
        return {lang: len(ranked) for lang, (ranked, _w) in self.terms.items()}

    def draw(self, rng: random.Random, lang: str, k: int) -> list[str]:
        ranked, cumulative = self.terms[lang]
        total = cumulative[-1]
        return [ranked[bisect(cumulative, rng.random() * total)] for _ in range(k)]

    def most_common(self, lang: str) -> str:
        return self.terms[lang][0][0]

    def phrase(self, rng: random.Random, lang: str, k: int) -> str:
        words = self.draw(rng, lang, k)
        if rng.random() < 0.6:
            words.insert(rng.randrange(len(words) + 1), rng.choice(self.common[lang]))
        return ("" if lang == "zh" else " ").join(words)

    def texts(self, rng: random.Random) -> dict:
        """A listing's title, summary and keywords: always English, Chinese for 60%, French for 30%."""
        langs = ["en"] + (["zh"] if rng.random() < 0.6 else []) + (["fr"] if rng.random() < 0.3 else [])
        title = {lang: self.phrase(rng, lang, rng.randint(2, 5)).capitalize() for lang in langs}
        summary = {lang: self.phrase(rng, lang, rng.randint(10, 24)) + ("。" if lang == "zh" else ".") for lang in langs}
        keywords = [w for lang in langs for w in self.draw(rng, lang, rng.randint(1, 2))]
        return {"title": title, "summary": summary, "keywords": list(dict.fromkeys(keywords))}

    def queries(self, n: int, *, fields: list[str], seed: int = 7) -> list[str]:
        """`n` distinct search paths as members type them: one or two terms (English 60%, Chinese
        25%, French 15%), drawn by the same law as the catalogue's; a third with a filter."""
        rng = random.Random(seed)
        seen: set[str] = set()
        out: list[str] = []
        filtered = 0
        while len(out) < n:
            lang = rng.choices(["en", "zh", "fr"], weights=[60, 25, 15])[0]
            q = ("" if lang == "zh" else " ").join(self.draw(rng, lang, rng.choice([1, 1, 2])))
            params = {"q": q}
            want_filter = filtered < n // 3 and (len(out) - filtered >= n - n // 3 or rng.random() < 1 / 3)
            if want_filter:
                if rng.random() < 0.5:
                    params["field"] = rng.choice(fields)
                else:
                    params["trl_min"] = str(rng.randint(2, 7))
            path = "/v1/technologies?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
            if path not in seen:
                seen.add(path)
                out.append(path)
                filtered += want_filter
        rng.shuffle(out)
        return out
