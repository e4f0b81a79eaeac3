"""What an invitation looks like to the agency: the links, the QR code and the printed pack.

Telegram opens a bot with a payload from a deep link, ``https://t.me/<bot>?start=<token>``; the
QR code carries that link. Zalo's bot links carry no payload, so on Zalo (and in the terminal)
the token is typed as ``/start TOKEN``; without a known Telegram username the QR code carries
that line. The pack for a mailing is a PDF, one A4 page per agency, in Vietnamese, with a
TrueType font embedded (DejaVu Sans, or the one ``SPOKES_PACK_FONT`` names) so the diacritics
print as written. ``segno`` and ``fpdf2`` are imported when a code or a pack is made, not when
the bot starts.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from bot import clock
from bot.texts import t
from registry.errors import ValidationError

# Fonts with Vietnamese glyphs, regular and bold, looked for in this order.
FONTS = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/dejavu/DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),
)


@dataclass(frozen=True)
class InvitationLinks:
    token: str
    telegram: str | None  # https://t.me/<bot>?start=<token>, when the bot's name is known
    typed: str  # "/start <token>": Zalo and the terminal

    @property
    def qr_text(self) -> str:
        return self.telegram or self.typed


def links_for(token: str, telegram_username: str | None) -> InvitationLinks:
    username = (telegram_username or "").lstrip("@")
    telegram = f"https://t.me/{username}?start={token}" if username else None
    return InvitationLinks(token, telegram, f"/start {token}")


def qr_png(text: str, *, scale: int = 10) -> bytes:
    import segno

    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def qr_svg(text: str) -> bytes:
    import segno

    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(
        out, kind="svg", scale=10, border=4, xmldecl=True, svgns=True
    )
    return out.getvalue()


@dataclass(frozen=True)
class PackPage:
    agency_name: str
    purpose: str  # "focal" or "spokespeople"
    links: InvitationLinks
    invitation_id: int
    expires_at_text: str


def _font(configured: str | None) -> tuple[Path, Path]:
    if configured:
        regular = Path(configured)
        bold = regular.with_name(regular.stem + "-Bold" + regular.suffix)
        if regular.is_file():
            return regular, bold if bold.is_file() else regular
        raise ValidationError("invitation.no_font", path=configured)
    for regular_path, bold_name in FONTS:
        regular = Path(regular_path)
        if regular.is_file():
            bold = regular.with_name(bold_name)
            return regular, bold if bold.is_file() else regular
    raise ValidationError("invitation.no_font", path=FONTS[0][0])


def pack_pdf(
    pages: list[PackPage],
    *,
    organisation: str,
    deadline: date | None,
    font: str | None = None,
) -> bytes:
    """The printable pack: one A4 page per agency, in Vietnamese."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    def say(key: str, **params: object) -> str:
        return t("vi", f"pack.invite.{key}", **params)

    regular, bold = _font(font)
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.set_margins(22, 18, 22)
    pdf.add_font("Body", "", str(regular))
    pdf.add_font("Body", "B", str(bold))
    pdf.set_title(say("title_spokespeople"))
    pdf.set_creator(organisation)
    width = pdf.epw
    nl = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}
    for page in pages:
        pdf.add_page()
        pdf.set_font("Body", "B", 11)
        pdf.cell(width, 6, organisation.upper(), align="C", **nl)
        pdf.set_draw_color(120, 120, 120)
        pdf.line(pdf.w / 2 - 25, pdf.get_y() + 1, pdf.w / 2 + 25, pdf.get_y() + 1)
        pdf.ln(8)
        pdf.set_font("Body", "B", 16)
        title = "title_focal" if page.purpose == "focal" else "title_spokespeople"
        pdf.multi_cell(width, 8, say(title), align="C", **nl)
        pdf.ln(4)
        pdf.set_font("Body", "B", 14)
        pdf.multi_cell(width, 8, say("to", agency=page.agency_name), align="C", **nl)
        pdf.ln(4)
        pdf.set_font("Body", "", 11)
        intro = "intro_focal" if page.purpose == "focal" else "intro_spokespeople"
        pdf.multi_cell(width, 6, say(intro), align="J", **nl)
        pdf.ln(3)
        if deadline is not None:
            pdf.set_font("Body", "B", 12)
            pdf.set_text_color(160, 0, 0)
            pdf.cell(width, 7, say("deadline", date=deadline.strftime("%d/%m/%Y")), align="C", **nl)
            pdf.set_text_color(0, 0, 0)
            pdf.ln(2)
        size = 70
        top = pdf.get_y() + 2
        pdf.image(io.BytesIO(qr_png(page.links.qr_text)), x=(pdf.w - size) / 2, y=top, w=size)
        pdf.set_y(top + size + 2)
        pdf.set_font("Body", "", 9)
        pdf.cell(width, 5, say("scan"), align="C", **nl)
        if page.links.telegram:
            pdf.set_font("Courier", "", 8)
            pdf.cell(width, 5, page.links.telegram, align="C", link=page.links.telegram, **nl)
        pdf.ln(4)
        pdf.set_font("Body", "B", 11)
        pdf.cell(width, 6, say("steps_title"), **nl)
        pdf.set_font("Body", "", 11)
        steps = [say("step_telegram"), say("step_zalo"), say("step_consent")]
        steps.append(say("step_focal" if page.purpose == "focal" else "step_spokespeople"))
        indent = 8
        for number, step in enumerate(steps, start=1):
            pdf.ln(1.5)
            pdf.set_x(pdf.l_margin + 2)
            pdf.cell(indent - 2, 6, f"{number}.")
            pdf.multi_cell(width - indent, 6, step, **nl)
            if number == 2:
                pdf.set_font("Courier", "B", 10)
                pdf.set_x(pdf.l_margin + indent)
                pdf.cell(width - indent, 7, page.links.typed, **nl)
                pdf.set_font("Body", "", 11)
        pdf.set_y(-24)
        pdf.set_draw_color(180, 180, 180)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(2)
        pdf.set_font("Body", "", 8)
        pdf.set_text_color(90, 90, 90)
        footer = say("footer", number=page.invitation_id, expires=page.expires_at_text)
        pdf.multi_cell(width, 4, footer, align="C", **nl)
        pdf.set_text_color(0, 0, 0)
    return bytes(pdf.output())


def expiry_text(when: datetime, *, with_time: bool = True) -> str:
    """An expiry as people read it, in the configured time zone."""
    return clock.shown(when, "%H:%M %d/%m/%Y" if with_time else "%d/%m/%Y")
