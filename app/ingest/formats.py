"""What kind of file was uploaded, and its text: format by extension checked against the bytes."""

from __future__ import annotations

from typing import Final, Literal

from app.core.errors import InvalidInput
from app.core.i18n import tr

Format = Literal["csv", "xlsx", "jsonl"]

_FILE: Final = ("file",)
EXTENSIONS: Final[dict[str, Format]] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
_ZIP_MAGIC: Final = b"PK\x03\x04"
_OLE2_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_UTF16_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")
_UTF8_BOM: Final = b"\xef\xbb\xbf"
# Real text has almost no C0 controls besides tab and newlines; junk has ~12%.
_MAX_CONTROL_RATIO: Final = 0.02
SNIFF_CHARS: Final = 64 * 1024


def _refuse(zh: str, en: str, **params: object) -> InvalidInput:
    return InvalidInput(tr(zh, en, **params), loc=_FILE)


def detect_format(content: bytes, filename: str) -> Format:
    """Return the file's format from its extension, checked against its first bytes."""
    name = filename.lower()
    extension = name[name.rfind(".") :] if "." in name else ""
    if extension == ".xls":
        raise _refuse(
            "不支持旧版 Excel .xls 文件；请把表格另存为 .xlsx 或 CSV（UTF-8）",
            "old Excel .xls files are not supported; save the sheet as .xlsx or CSV (UTF-8)",
        )
    if extension not in EXTENSIONS:
        raise _refuse(
            "不支持的文件类型 {ext}；请上传 {supported} 之一",
            "unsupported file type {ext}; upload one of {supported}",
            ext=repr(extension or "(none)"),
            supported=", ".join(EXTENSIONS),
        )
    fmt = EXTENSIONS[extension]
    if not content:
        raise _refuse("文件是空的", "the file is empty")
    if fmt == "xlsx":
        if content.startswith(_OLE2_MAGIC):
            raise _refuse(
                "该 .xlsx 文件设置了密码，或其实是旧版 .xls 文件；请去掉密码或重新另存为 .xlsx",
                "this .xlsx file is password-protected or is really an old .xls file; "
                "remove the password or save it as .xlsx again",
            )
        if not content.startswith(_ZIP_MAGIC):
            raise _refuse(
                "该文件不是 Excel .xlsx 工作簿", "the file is not an Excel .xlsx workbook"
            )
        return fmt
    if content.startswith(_ZIP_MAGIC):
        raise _refuse(
            "该 {ext} 文件是 zip 压缩包（Excel 工作簿？）；请改名为 .xlsx 或导出为 CSV",
            "the {ext} file is a zip archive (an Excel workbook?); name it .xlsx or export it "
            "as CSV",
            ext=extension,
        )
    if content.startswith(_OLE2_MAGIC):
        raise _refuse(
            "该 {ext} 文件是旧版 Excel .xls 工作簿；请导出为 CSV（UTF-8）",
            "the {ext} file is an old Excel .xls workbook; export it as CSV (UTF-8)",
            ext=extension,
        )
    # UTF-16 text is full of NUL bytes; it is checked after decoding instead.
    if not content.startswith(_UTF16_BOMS) and b"\x00" in content:
        raise _refuse(
            "该 {ext} 文件含有二进制数据，不是文本",
            "the {ext} file contains binary data, not text",
            ext=extension,
        )
    return fmt


def decode_text(content: bytes) -> tuple[str, str]:
    """Return the file's text and the encoding it was decoded with, decoding strictly."""
    if content.startswith(_UTF16_BOMS):
        candidates: tuple[str, ...] = ("utf-16",)
    elif content.startswith(_UTF8_BOM):
        candidates = ("utf-8-sig",)
    else:
        # GB18030 decodes GBK too; trying UTF-8 first matters as GB18030 accepts more bytes.
        candidates = ("utf-8", "gb18030")
    utf8_error: UnicodeDecodeError | None = None
    for encoding in candidates:
        try:
            return content.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            if encoding.startswith("utf-8"):
                utf8_error = exc
    if utf8_error is not None and utf8_error.end == len(content):
        # Valid UTF-8 up to a character cut in half at the very end: an interrupted upload.
        raise _refuse(
            "文件在一个 UTF-8 字符中间结束，看起来不完整；请重新上传完整的文件",
            "the file ends in the middle of a UTF-8 character: it looks cut off; upload the "
            "whole file again",
        )
    raise _refuse(
        "文件不是 UTF-8 或 GBK 文本；请另存为“CSV UTF-8”后重新上传",
        "the file is not UTF-8 or GBK text; save it as 'CSV UTF-8' and upload it again",
    )


def check_text(text: str) -> None:
    """Refuse decoded text that is really binary data."""
    sample = text[:SNIFF_CHARS]
    controls = sum(1 for char in sample if char < " " and char not in "\t\n\r")
    if "\x00" in sample or controls > _MAX_CONTROL_RATIO * len(sample):
        raise _refuse("文件含有二进制数据，不是文本", "the file contains binary data, not text")


__all__ = ["EXTENSIONS", "SNIFF_CHARS", "Format", "check_text", "decode_text", "detect_format"]
