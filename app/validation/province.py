"""China's 34 provincial-level divisions, stored under their full Chinese names."""

from __future__ import annotations

import re
import unicodedata

from app.core.i18n import tr

# Full name, short name, and romanised or English names. The order is that of the GB/T 2260
# administrative division codes (11 北京 … 82 澳门).
_DIVISIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("北京市", "北京", ("beijing", "peking")),
    ("天津市", "天津", ("tianjin",)),
    ("河北省", "河北", ("hebei",)),
    ("山西省", "山西", ("shanxi",)),
    ("内蒙古自治区", "内蒙古", ("inner mongolia", "nei mongol", "neimenggu")),
    ("辽宁省", "辽宁", ("liaoning",)),
    ("吉林省", "吉林", ("jilin",)),
    ("黑龙江省", "黑龙江", ("heilongjiang",)),
    ("上海市", "上海", ("shanghai",)),
    ("江苏省", "江苏", ("jiangsu",)),
    ("浙江省", "浙江", ("zhejiang",)),
    ("安徽省", "安徽", ("anhui",)),
    ("福建省", "福建", ("fujian",)),
    ("江西省", "江西", ("jiangxi",)),
    ("山东省", "山东", ("shandong",)),
    ("河南省", "河南", ("henan",)),
    ("湖北省", "湖北", ("hubei",)),
    ("湖南省", "湖南", ("hunan",)),
    ("广东省", "广东", ("guangdong",)),
    ("广西壮族自治区", "广西", ("guangxi", "guangxi zhuang")),
    ("海南省", "海南", ("hainan",)),
    ("重庆市", "重庆", ("chongqing",)),
    ("四川省", "四川", ("sichuan",)),
    ("贵州省", "贵州", ("guizhou",)),
    ("云南省", "云南", ("yunnan",)),
    ("西藏自治区", "西藏", ("xizang", "tibet")),
    # Shaanxi's double "a" is the official spelling that keeps it apart from Shanxi.
    ("陕西省", "陕西", ("shaanxi",)),
    ("甘肃省", "甘肃", ("gansu",)),
    ("青海省", "青海", ("qinghai",)),
    ("宁夏回族自治区", "宁夏", ("ningxia", "ningxia hui")),
    ("新疆维吾尔自治区", "新疆", ("xinjiang", "xinjiang uygur", "xinjiang uyghur")),
    ("台湾省", "台湾", ("taiwan",)),
    ("香港特别行政区", "香港", ("hong kong", "xianggang")),
    ("澳门特别行政区", "澳门", ("macao", "macau", "aomen")),
)

PROVINCES: tuple[str, ...] = tuple(full for full, _, _ in _DIVISIONS)

# Trailing words that name the kind of division rather than which one it is.
_KIND_SUFFIX = re.compile(
    r"(?:\s+(?:province|sheng|municipality|city|shi|autonomous region|zizhiqu"
    r"|special administrative region|sar))+$"
)


def _key(text: str) -> str:
    """Fold width, case, punctuation and spacing so that spellings compare equal."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    words = " ".join(re.sub(r"[^\w]+", " ", folded).split())
    return _KIND_SUFFIX.sub("", words).replace(" ", "")


_BY_KEY: dict[str, str] = {
    _key(name): full for full, short, romanised in _DIVISIONS for name in (full, short, *romanised)
}


def normalize_province(raw: str) -> str:
    """Return the full Chinese name (`广东省`) of a provincial-level division, or raise."""
    full = _BY_KEY.get(_key(raw))
    if full is None:
        raise ValueError(
            tr(
                "“{raw}”不是省级行政区；请写省份名称，例如 广东省、广东 或 Guangdong",
                "{raw!r} is not a Chinese provincial-level division "
                "(e.g. 广东省, 广东 or Guangdong)",
                raw=raw,
            )
        )
    return full
