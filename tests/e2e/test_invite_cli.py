"""``spokes invite`` end to end: the installed script makes invitations, writes their QR codes
(read back as a phone camera would), the printable pack (each page's code read back from the
page rendered to an image), lists and revokes them; garbage arguments get one line and a
non-zero exit."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from registry.invitations import verify
from tests.builders import INVITATION_KEY, INVITATION_SECRET
from tests.e2e.cli_runner import Spokes, needs_script, ok, refused, sqlite_url

pytestmark = needs_script
BOT = "spokes_vn_bot"


def scanned(png: bytes) -> list[str]:
    return [str(code.text) for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


@pytest.fixture
def spokes(tmp_path: Path) -> Spokes:
    env = {"SPOKES_INVITATION_SECRET": INVITATION_SECRET, "SPOKES_TELEGRAM_BOT_USERNAME": BOT}
    spokes = Spokes(tmp_path, sqlite_url(tmp_path), env)
    ok(spokes("db", "upgrade"))  # a database with its catalog: the first command says so
    ok(spokes("agencies", "list"))
    return spokes


def test_an_invitation_prints_its_links_and_writes_qr_codes_that_scan(spokes: Spokes) -> None:
    made = ok(spokes("invite", "--agency", "ubnd tinh lao cai", "--out", "qr"))
    assert made.stdout.startswith("#1 Tỉnh Lào Cai (Người phát ngôn tự đăng ký) đến ")
    link = re.search(r"Telegram: (\S+)", made.stdout)
    assert link is not None and link.group(1).startswith(f"https://t.me/{BOT}?start=")
    token = link.group(1).split("start=")[1]
    assert f"Zalo/terminal: /start {token}" in made.stdout
    png = spokes.directory / "qr" / "moi-tinh-lao-cai-1.png"
    assert scanned(png.read_bytes()) == [link.group(1)]
    svg = (spokes.directory / "qr" / "moi-tinh-lao-cai-1.svg").read_text()
    assert svg.startswith("<?xml") and "<svg" in svg
    assert verify(INVITATION_KEY, token).purpose == "spokespeople"

    listed = ok(spokes("invite", "list")).stdout
    assert listed.startswith("#1 Tỉnh Lào Cai | Người phát ngôn tự đăng ký | còn dùng được")
    assert ok(spokes("invite", "revoke", "1")).stdout.strip() == (
        "Đã thu hồi lời mời số 1 (Tỉnh Lào Cai)."
    )
    [row] = spokes.json("invite", "list", "--json")
    assert row["state"] == "revoked" and row["agency"] == "tinh-lao-cai"
    assert spokes.json("invite", "list", "--active", "--json") == []


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler) is not installed")
def test_the_pack_has_a_page_per_agency_whose_printed_code_scans(spokes: Spokes) -> None:
    made = spokes.json(
        "invite", "--kind", "ministry", "--purpose", "focal", "--pack", "moi.pdf",
        "--deadline", "2026-12-31", "--json",
    )  # fmt: skip
    assert len(made) == 14 and {m["purpose"] for m in made} == {"focal"}
    pdf = (spokes.directory / "moi.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and b"DejaVu" in pdf  # the font is embedded
    subprocess.run(
        ["pdftoppm", "-r", "100", "-f", "1", "-l", "2", "-png", "moi.pdf", "page"],
        cwd=spokes.directory,
        check=True,
    )
    pages = sorted(spokes.directory.glob("page-*.png"))
    assert len(pages) == 2
    for page, invitation in zip(pages, made[:2], strict=True):
        assert scanned(page.read_bytes()) == [invitation["telegram"]]


def test_without_the_bots_name_the_code_holds_the_line_to_type(tmp_path: Path) -> None:
    spokes = Spokes(tmp_path, sqlite_url(tmp_path), {"SPOKES_INVITATION_SECRET": INVITATION_SECRET})
    made = ok(spokes("invite", "--agency", "Bộ Tài chính", "--out", "."))
    assert "SPOKES_TELEGRAM_BOT_USERNAME" in made.stderr and "t.me" not in made.stdout
    [png] = tmp_path.glob("moi-*.png")
    [text] = scanned(png.read_bytes())
    assert text.startswith("/start ") and text in made.stdout


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["invite"], "--agency"),
        (["invite", "--agency", "Lào Cai", "--kind", "ministry"], "--missing"),
        (["invite", "--agency", "Lào Cai", "--purpose", "boss"], "boss"),
        (["invite", "--agency", "Lào Cai", "--days", "abc"], "abc"),
        (["invite", "--agency", "Lào Cai", "--days", "9999"], "366"),
        (["invite", "--agency", "Lào Cai", "--uses", "0"], "100"),
        (["invite", "--agency", "Lào Cai", "--deadline", "31/12"], "31/12"),
        (["invite", "--agency", "Atlantis"], "Atlantis"),
        (["invite", "--kind", "planet"], "planet"),
        (["invite", "revoke", "xx"], "xx"),
        (["invite", "revoke", "99"], "99"),
    ],
)
def test_garbage_arguments_get_one_line_and_nothing_is_made(
    spokes: Spokes, args: list[str], complaint: str
) -> None:
    line = refused(spokes(*args))
    assert complaint in line
    assert ok(spokes("invite", "list")).stdout.strip().endswith("Chưa có lời mời nào.")


def test_without_the_signing_key_nothing_is_made(tmp_path: Path) -> None:
    spokes = Spokes(tmp_path, sqlite_url(tmp_path))
    line = refused(spokes("invite", "--agency", "Lào Cai"))
    assert "SPOKES_INVITATION_SECRET" in line
    english = refused(spokes("invite", "--agency", "Lào Cai", lang="en"))
    assert english.startswith("No invitation signing key is set")
