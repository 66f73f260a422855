import pytest

from app.validation.province import PROVINCES, normalize_province


def test_provinces_lists_all_34_divisions_in_code_order() -> None:
    assert PROVINCES == (
        "北京市",
        "天津市",
        "河北省",
        "山西省",
        "内蒙古自治区",
        "辽宁省",
        "吉林省",
        "黑龙江省",
        "上海市",
        "江苏省",
        "浙江省",
        "安徽省",
        "福建省",
        "江西省",
        "山东省",
        "河南省",
        "湖北省",
        "湖南省",
        "广东省",
        "广西壮族自治区",
        "海南省",
        "重庆市",
        "四川省",
        "贵州省",
        "云南省",
        "西藏自治区",
        "陕西省",
        "甘肃省",
        "青海省",
        "宁夏回族自治区",
        "新疆维吾尔自治区",
        "台湾省",
        "香港特别行政区",
        "澳门特别行政区",
    )


@pytest.mark.parametrize("full_name", PROVINCES)
def test_full_name_is_its_own_canonical_form(full_name: str) -> None:
    assert normalize_province(full_name) == full_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("广东", "广东省"),
        ("北京", "北京市"),
        ("广西", "广西壮族自治区"),
        ("内蒙古", "内蒙古自治区"),
        ("新疆", "新疆维吾尔自治区"),
        ("香港", "香港特别行政区"),
        ("澳门", "澳门特别行政区"),
        (" 广 东 省 ", "广东省"),
    ],
)
def test_accepts_short_chinese_names(raw: str, expected: str) -> None:
    assert normalize_province(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Guangdong", "广东省"),
        ("guangdong province", "广东省"),
        ("  GUANGDONG   Province ", "广东省"),
        ("Ｇｕａｎｇｄｏｎｇ", "广东省"),
        ("Beijing", "北京市"),
        ("Beijing Municipality", "北京市"),
        ("Inner Mongolia", "内蒙古自治区"),
        ("Inner Mongolia Autonomous Region", "内蒙古自治区"),
        ("Guangxi Zhuang Autonomous Region", "广西壮族自治区"),
        ("Hong Kong", "香港特别行政区"),
        ("hongkong", "香港特别行政区"),
        ("Hong Kong SAR", "香港特别行政区"),
        ("Macau", "澳门特别行政区"),
        ("Macao Special Administrative Region", "澳门特别行政区"),
        ("Tibet", "西藏自治区"),
        ("Xizang", "西藏自治区"),
        ("Xinjiang Uyghur Autonomous Region", "新疆维吾尔自治区"),
        ("Ningxia Hui", "宁夏回族自治区"),
        ("Chongqing", "重庆市"),
    ],
)
def test_accepts_pinyin_and_english_names(raw: str, expected: str) -> None:
    assert normalize_province(raw) == expected


def test_keeps_shaanxi_and_shanxi_apart() -> None:
    assert (normalize_province("Shaanxi"), normalize_province("Shanxi")) == ("陕西省", "山西省")


@pytest.mark.parametrize("raw", ["", "Atlantis", "粤", "province", "广东市"])
def test_rejects_unknown_province(raw: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        normalize_province(raw)
    assert str(excinfo.value) == (
        f"{raw!r} is not a Chinese provincial-level division (e.g. 广东省, 广东 or Guangdong)"
    )
