"""What the load test sends: listing files, demands and queries, and what it remembers of them.

Each client draws its next operation from a fixed mix. Imports carry rows of the client's own
(new patent numbers) and rows of a pool every client shares, so that concurrent imports of one
patent race each other; the pool's rows are identical in every file, so whichever import wins
creates the patent and the others find it unchanged.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from datetime import date
from typing import Final, Literal

from app.validation.patent_number import check_digit

Mix = Literal["mixed", "queries"]

# Operation -> weight. "queries" leaves out every write, for measuring reads alone (for
# instance while a re-index runs).
MIXES: Final[dict[str, dict[str, int]]] = {
    "mixed": {"import": 10, "create_demand": 15, "matches": 60, "search": 5, "list": 10},
    "queries": {"matches": 80, "search": 5, "list": 15},
}

_SUBJECTS: Final = (
    (
        "滚动轴承早期故障诊断方法",
        "采集振动信号并提取时频特征，利用卷积神经网络识别故障类型",
        "G06N 3/08",
        "C34",
    ),
    (
        "锂离子电池正极材料制备方法",
        "通过掺杂改性提高材料的循环稳定性与倍率性能",
        "H01M 4/525",
        "C38",
    ),
    (
        "污水脱氮除磷处理装置",
        "采用多级生物膜反应器，降低运行能耗并提高出水水质",
        "C02F 3/30",
        "N77",
    ),
    ("高强度铝合金焊接工艺", "采用搅拌摩擦焊并控制热输入，减少焊缝缺陷", "B23K 20/12", "C33"),
    ("图像语义分割方法", "结合注意力机制与多尺度特征融合，提升分割精度", "G06T 7/11", "I65"),
    ("光伏组件清洁机器人", "采用履带式行走机构与自动纠偏控制，实现无水清洁", "H02S 40/10", "C35"),
    ("可降解包装薄膜", "以聚乳酸为基体并加入增韧剂，兼顾强度与降解性能", "C08L 67/04", "C29"),
    ("桥梁结构健康监测系统", "布设光纤光栅传感器，实时评估结构损伤状态", "G01M 5/00", "E48"),
)
_NEEDS: Final = (
    "数控机床主轴轴承需要在线振动监测，提前预警故障",
    "动力电池正极材料循环寿命不足，寻求改性工艺",
    "工业园区污水处理能耗高，需要脱氮除磷新技术",
    "铝合金结构件焊缝缺陷多，寻求低热输入焊接工艺",
    "产线视觉检测需要更精确的图像分割算法",
    "光伏电站组件积灰严重，需要无水清洁设备",
)
_HEADERS: Final = (
    "专利号",
    "名称",
    "摘要",
    "IPC分类号",
    "专利类型",
    "申请日",
    "行业代码",
    "许可费类型",
)
# Patent numbers of a run: year 2019-2023, invention, serial from a block chosen per run.
_SERIALS_PER_CLIENT: Final = 40_000


@dataclass
class Ledger:
    """What the server acknowledged: it must all be there when the run ends."""

    listing_numbers: set[str] = field(default_factory=set)
    demand_ids: dict[str, set[int]] = field(default_factory=dict)  # sme key -> ids
    created_by_imports: int = 0
    import_rows: int = 0


class Workload:
    """The rows, demands and query texts of one run; `run_block` keeps runs apart."""

    def __init__(self, *, run_block: int, rows_per_import: int, shared_pool: int = 200) -> None:
        self.run_block = run_block
        self.rows_per_import = rows_per_import
        self.shared = [self._number(-1, i) for i in range(shared_pool)]

    def _number(self, client: int, index: int) -> str:
        year = 2019 + self.run_block % 5
        serial = (self.run_block // 5) * 1_000_000 + (client + 1) * _SERIALS_PER_CLIENT + index
        digits = f"{year:04d}1{serial % 10_000_000:07d}"
        return f"{digits}.{check_digit(digits)}"

    def _row(self, number: str) -> list[str]:
        # Content depends on the number only: every file that carries it carries the same row.
        index = int(number[5:12])
        subject, effect, ipc, industry = _SUBJECTS[index % len(_SUBJECTS)]
        applied = date(int(number[:4]), 1 + index % 12, 1 + index % 28)
        return [
            number,
            f"一种{subject}（{index}）",
            f"本发明公开了一种{subject}，{effect}。样机连续运行{100 + index % 900}小时，性能稳定。",
            ipc,
            "发明",
            applied.isoformat(),
            industry,
            "面议",
        ]

    def import_file(
        self, client: int, sequence: int, rng: random.Random
    ) -> tuple[bytes, list[str]]:
        """Return a CSV file for a client's `sequence`-th import, and its patent numbers."""
        shared = max(1, self.rows_per_import // 4)
        own = self.rows_per_import - shared
        numbers = [self._number(client, sequence * own + i) for i in range(own)]
        numbers += rng.sample(self.shared, shared)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(_HEADERS)
        for number in numbers:
            writer.writerow(self._row(number))
        return buffer.getvalue().encode("utf-8"), numbers

    @staticmethod
    def demand(rng: random.Random) -> dict[str, object]:
        """Return a demand body in plain Chinese."""
        need = rng.choice(_NEEDS)
        return {
            "title": need[:14],
            "description": f"{need}。我司为专精特新中小企业，预算约{rng.randint(10, 90)}万元。",
            "visibility": rng.choice(("public", "private")),
        }

    @staticmethod
    def search_text(rng: random.Random) -> str:
        """Return an ad-hoc search text."""
        return rng.choice(_NEEDS)


def pick(mix: dict[str, int], rng: random.Random) -> str:
    """Return the next operation of a client, drawn from the mix's weights."""
    names = list(mix)
    return rng.choices(names, weights=[mix[name] for name in names])[0]
